import type { Socket as NetSocket } from 'node:net';
import type { WebSocket } from 'ws';

/** An Engine.IO connection as far as batching its writes needs it. */
export interface EngineConnection {
  transport?: { name: string; socket?: WebSocket };
}

/**
 * Frames written to one connection in one event-loop turn leave in one system call.
 *
 * Every WebSocket frame is otherwise its own `writev` (ws corks only a frame's header and body), and
 * on a virtualised host a system call on a socket costs tens of microseconds: the bench profile had
 * `writev` as the largest single item of server CPU. So a connection written to is held until the
 * turn's check phase (no timer: at most the rest of the current turn), then written at once, in the
 * order its frames were queued: a group member that got eight messages from one group commit costs
 * one write, not eight.
 *
 * Two ways in: `cork` for a socket written straight through `ws` (the plain WebSocket transport),
 * and `deferFlush` for an Engine.IO connection, whose own flush writes one packet, then waits for
 * that write's callback before writing the rest: corking alone would still take two writes.
 */
export class TurnWriteCoalescer {
  private corked = new Set<NetSocket>();
  private flushes = new Set<EngineConnection>();
  private scheduled = false;

  /** `flushNow` writes an Engine.IO connection's queued packets (its original flush). */
  constructor(
    private readonly flushNow: (connection: EngineConnection) => void = () => undefined,
  ) {}

  /** Holds what is written to `socket` from now until the end of this turn. */
  cork(socket: NetSocket | undefined): void {
    if (!socket || socket.destroyed || this.corked.has(socket)) {
      return;
    }
    socket.cork();
    this.corked.add(socket);
    this.schedule();
  }

  /** Flushes `connection`'s packets at the end of this turn, all in one write. */
  deferFlush(connection: EngineConnection): void {
    this.flushes.add(connection);
    this.schedule();
  }

  /** The TCP socket under a `ws` WebSocket (ws keeps it as `_socket`; undefined once it is gone). */
  static tcpOf(webSocket: WebSocket | undefined): NetSocket | undefined {
    return (webSocket as unknown as { _socket?: NetSocket } | undefined)?._socket;
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const flushes = this.flushes;
    const corked = this.corked;
    this.flushes = new Set();
    this.corked = new Set();
    for (const connection of flushes) {
      const tcp =
        connection.transport?.name === 'websocket'
          ? TurnWriteCoalescer.tcpOf(connection.transport.socket)
          : undefined;
      tcp?.cork();
      this.flushNow(connection);
      tcp?.uncork();
    }
    for (const socket of corked) {
      // A socket closed meanwhile has nothing left to send; uncorking it is harmless.
      socket.uncork();
    }
  };
}
