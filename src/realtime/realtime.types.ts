import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../libs/contracts/src';
import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';

/** Per-socket state: kept small on purpose (memory per connection). */
export interface SocketData {
  user: AuthenticatedUser;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InterServerEvents = {};

export type AppServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type AppSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** Who sent a client event, whatever the transport. */
export interface RealtimeCaller extends AuthenticatedUser {
  /** The connection (socket) the event came in on. */
  connectionId: string;
}

/**
 * One live connection of a user as the transport-independent services see it (catch-up pushes to
 * it). A Socket.IO socket and a plain WebSocket connection both provide this.
 */
export interface RealtimeConnection {
  readonly id: string;
  readonly userId: string;
  readonly connected: boolean;
  send<E extends ServerEventName>(event: E, payload: ServerEventPayload<E>): void;
}

/** Every connection of a user joins this room: delivery targets users, so every device gets everything. */
export const userRoom = (userId: string): string => `user:${userId}`;

/** Every connection of a login session joins this room: logout disconnects exactly these. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;
