import { ApiError } from './api-error';
import type { TypedSocket } from './realtime-session';
import { backoffDelay, hintedDelay, type Clock } from './retry';

export interface ReconnectorOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  clock: Clock;
  /** Called once when the token is refused; resolve to retry with the new token. */
  refreshToken?: () => Promise<unknown>;
  /** No reconnect will follow (token refused, or reconnection turned off). */
  onFatal: (error: Error) => void;
}

/**
 * Reconnects where Socket.IO gives up by design: after the server closed the socket on shutdown (its
 * `shutdown` event carries `retryAfterMs`) and after a handshake refused for now (`UNAVAILABLE`,
 * `RATE_LIMITED`). A dropped transport is left to Socket.IO's own jittered backoff.
 */
export class Reconnector {
  private attempt = 0;
  private timer: unknown = undefined;
  private shutdownHintMs: number | undefined;
  private refreshed = false;
  private closed = false;

  constructor(
    private readonly socket: TypedSocket,
    private readonly options: ReconnectorOptions,
  ) {
    socket.on('shutdown', ({ retryAfterMs }) => {
      this.shutdownHintMs = retryAfterMs;
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect' && this.shutdownHintMs !== undefined) {
        this.schedule(this.shutdownHintMs);
      }
    });
    socket.on('connect_error', (error) => this.onConnectError(error));
    socket.on('connect', () => {
      this.attempt = 0;
      this.refreshed = false;
      this.shutdownHintMs = undefined;
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private onConnectError(error: Error & { data?: unknown }): void {
    const manager = (this.socket as { io?: { reconnection?: () => boolean } }).io;
    if (this.closed || (this.socket.active && manager?.reconnection?.() !== false)) {
      return; // a transport failure: Socket.IO's own backoff retries it
    }
    const data = (error.data ?? {}) as { code?: string; retryAfterMs?: number };
    const code = data.code ?? error.message;
    if (code === 'UNAUTHORIZED') {
      const refused = new ApiError(401, 'UNAUTHORIZED', 'The token was refused');
      if (this.options.refreshToken && !this.refreshed) {
        this.refreshed = true;
        this.options.refreshToken().then(
          () => this.schedule(0),
          () => this.options.onFatal(refused),
        );
        return;
      }
      this.options.onFatal(refused);
      return;
    }
    if (this.socket.active) {
      this.options.onFatal(error); // reconnection is turned off: nothing more will happen
      return;
    }
    this.schedule(data.retryAfterMs);
  }

  /** Reconnects after max(hint + jitter, jittered exponential backoff). */
  private schedule(hintMs?: number): void {
    if (this.closed || this.timer !== undefined) {
      return;
    }
    const backoff = backoffDelay(this.attempt, this.options);
    const delay =
      hintMs === undefined ? backoff : Math.max(hintedDelay(hintMs, this.options.random), backoff);
    this.attempt += 1;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.closed && !this.socket.connected) {
        this.socket.connect();
      }
    }, delay);
  }
}
