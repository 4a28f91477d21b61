import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../libs/contracts/src';
import type { AuthenticatedUser } from '../../common/decorators/current-user.decorator';

/** Per-socket state: kept small on purpose (memory per connection, SPEC 7). */
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

/** Every socket of a user joins this room: delivery targets users, so every device gets everything. */
export const userRoom = (userId: string): string => `user:${userId}`;

/** Every socket of a login session joins this room: logout disconnects exactly these. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;
