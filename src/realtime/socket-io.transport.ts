import type { RealtimeTransport } from './delivery';
import type { AppServer, ServerEventName, ServerEventPayload } from './realtime.types';

/** Delivery over Socket.IO: rooms live in its adapter, which reaches every instance (Redis, cluster). */
export class SocketIoTransport implements RealtimeTransport {
  constructor(private readonly server: AppServer) {}

  emitToRooms<E extends ServerEventName>(
    rooms: readonly string[],
    event: E,
    payload: ServerEventPayload<E>,
    exceptConnectionId?: string,
  ): void {
    const target = this.server.to(rooms as string[]);
    const emitter = exceptConnectionId ? target.except(exceptConnectionId) : target;
    (emitter.emit as (event: string, payload: unknown) => boolean)(event, payload);
  }

  disconnectRooms(rooms: readonly string[]): void {
    this.server.in(rooms as string[]).disconnectSockets(true);
  }
}
