import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import type { RealtimeConnection, ServerEventName, ServerEventPayload } from '../realtime.types';
import { TurnWriteCoalescer } from '../turn-write-coalescer';
import { encodeEvent } from './frame-codec';

/**
 * Outgoing bytes a connection may have queued before it counts as stuck and is closed (it reconnects
 * and catches up from PostgreSQL), so one slow reader cannot hold the server's memory hostage.
 */
export const PLAIN_WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Close code sent to a reader that fell too far behind (RFC 6455: "try again later"). */
const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * One authenticated plain-WebSocket connection. Its `id` is unique across instances (Socket.IO-style
 * room membership and `except` use it) and never collides with a Socket.IO socket id.
 */
export class PlainConnection implements RealtimeConnection {
  readonly id = `ws-${randomUUID()}`;
  /** Heartbeat pings sent since the last sign of life. */
  missedPongs = 0;

  constructor(
    readonly socket: WebSocket,
    readonly user: AuthenticatedUser,
    private readonly writes?: TurnWriteCoalescer,
  ) {}

  get userId(): string {
    return this.user.userId;
  }

  get connected(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one server event as `{"type", "data"}`. */
  send<E extends ServerEventName>(event: E, payload: ServerEventPayload<E>): void {
    this.sendText(encodeEvent(event, payload));
  }

  /**
   * Sends an already encoded frame as a text frame (a broadcast is encoded once for all its
   * connections, as UTF-8 bytes, which ws then sends without copying or converting again).
   */
  sendText(text: string | Buffer): void {
    if (!this.connected) {
      return;
    }
    if (this.socket.bufferedAmount > PLAIN_WS_MAX_BUFFERED_BYTES) {
      this.socket.close(CLOSE_TRY_AGAIN_LATER, 'Too far behind; reconnect to catch up');
      return;
    }
    this.writes?.cork(TurnWriteCoalescer.tcpOf(this.socket));
    this.socket.send(text, { binary: false });
  }

  ping(): void {
    if (this.connected) {
      this.socket.ping();
    }
  }

  terminate(): void {
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
  }
}
