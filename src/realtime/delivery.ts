import { Injectable } from '@nestjs/common';
import {
  type ServerEventName,
  type ServerEventPayload,
  sessionRoom,
  userRoom,
} from './realtime.types';

/**
 * A way of reaching connections: Socket.IO, the plain WebSocket server. Each reaches its own
 * connections, on every instance where it can (Socket.IO through its adapter).
 */
export interface RealtimeTransport {
  /** Sends to every connection in any of `rooms` (each once), except `exceptConnectionId`. */
  emitToRooms<E extends ServerEventName>(
    rooms: readonly string[],
    event: E,
    payload: ServerEventPayload<E>,
    exceptConnectionId?: string,
  ): void;
  /** Closes every connection in `rooms` for good (no reconnect hint). */
  disconnectRooms(rooms: readonly string[]): void;
}

/** Users whose room name is kept (a few bytes each); past it the oldest name is dropped, one at a time. */
export const ROOM_NAME_CACHE_MAX = 50_000;

/**
 * Room names of users, built once: fan-out names every recipient on every message, and a cached
 * (already hashed, flat) string also makes each of the adapter's room lookups cheaper than a fresh
 * concatenation. Bounded, evicting first-in first (a Map keeps insertion order), never all at once.
 */
export class UserRoomNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly max = ROOM_NAME_CACHE_MAX) {}

  get size(): number {
    return this.names.size;
  }

  of(userId: string): string {
    let name = this.names.get(userId);
    if (name === undefined) {
      name = userRoom(userId);
      if (this.names.size >= this.max) {
        this.names.delete(this.names.keys().next().value as string);
      }
      this.names.set(userId, name);
    }
    return name;
  }
}

/**
 * The one way the server pushes to clients, whatever transport they use: to users (every device),
 * to one login session, or to one connection. Transports register themselves once they exist.
 */
@Injectable()
export class RealtimeDelivery {
  private readonly transports: RealtimeTransport[] = [];
  private readonly roomNames = new UserRoomNames();

  register(transport: RealtimeTransport): void {
    this.transports.push(transport);
  }

  toUsers<E extends ServerEventName>(
    userIds: readonly string[],
    event: E,
    payload: ServerEventPayload<E>,
    options: { exceptConnection?: string } = {},
  ): void {
    if (!userIds.length) {
      return;
    }
    const rooms = new Array<string>(userIds.length);
    for (let index = 0; index < userIds.length; index += 1) {
      rooms[index] = this.roomNames.of(userIds[index]);
    }
    for (const transport of this.transports) {
      transport.emitToRooms(rooms, event, payload, options.exceptConnection);
    }
  }

  toSession<E extends ServerEventName>(
    sessionId: string,
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    const rooms = [sessionRoom(sessionId)];
    for (const transport of this.transports) {
      transport.emitToRooms(rooms, event, payload);
    }
  }

  disconnectSession(sessionId: string): void {
    const rooms = [sessionRoom(sessionId)];
    for (const transport of this.transports) {
      transport.disconnectRooms(rooms);
    }
  }
}
