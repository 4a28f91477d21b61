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

/**
 * The one way the server pushes to clients, whatever transport they use: to users (every device),
 * to one login session, or to one connection. Transports register themselves once they exist.
 */
@Injectable()
export class RealtimeDelivery {
  private readonly transports: RealtimeTransport[] = [];

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
    const rooms = userIds.map(userRoom);
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
