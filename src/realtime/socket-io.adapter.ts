import { type Server as HttpServer, type IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Server, type ServerOptions } from 'socket.io';
import { WS_PATH } from '../../libs/contracts/src';
import { ScaleOut } from './scale-out';
import { type EngineConnection, TurnWriteCoalescer } from './turn-write-coalescer';
import type { RootConfig } from '../config/configuration';

/**
 * The engine's hard frame limit. Far above the per-event limit (64 KiB) on purpose: engine.io closes
 * the connection on an oversize frame, while an oversize event under this size gets a
 * PAYLOAD_TOO_LARGE ack and the socket stays up (SPEC 5), so the payloads a client might plausibly
 * try (a 1 or 2 MB message) are answered. It bounds what one frame can make the server buffer.
 */
export const WS_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** What the handshake needs from the HTTP request, kept after the request itself is dropped. */
export interface HandshakeInfo {
  queryToken?: string;
  origin?: string;
}

/** Engine.IO socket with the kept handshake fields (the request object is released). */
interface RawEngineSocket extends EngineConnection {
  request: { _query?: Record<string, unknown>; headers?: Record<string, unknown> } | null;
  handshakeInfo?: HandshakeInfo;
  /** Writes the queued packets (called by the engine after each packet it queues). */
  flush: (this: RawEngineSocket) => void;
}

export function handshakeInfoOf(conn: unknown): HandshakeInfo {
  return (conn as RawEngineSocket).handshakeInfo ?? {};
}

/**
 * The stand-in response Engine.IO builds for a WebSocket upgrade (it runs its middlewares with it).
 * It points to the request, and a `close` listener it puts on the TCP socket keeps it for the
 * connection's lifetime: releasing only the engine's own reference would keep the request anyway.
 */
interface UpgradeResponse {
  req: IncomingMessage | null;
}

/**
 * Socket.IO on path `/ws` of the HTTP port: WebSocket first with polling as fallback, CORS as HTTP,
 * and a 4 MiB frame limit. Each engine connection keeps only the `?token=` and the origin, then drops
 * the HTTP request Socket.IO would otherwise hold for the connection's lifetime (~4 KB each), from the
 * engine socket and from the upgrade's stand-in response alike.
 * ScaleOut plugs in the Redis or node:cluster adapter and sticky sessions. Frames to one connection in
 * one event-loop turn are written together (TurnWriteCoalescer).
 */
export class AppIoAdapter extends IoAdapter {
  private readonly corsOrigins: string[] | boolean;
  private readonly scaleOut: ScaleOut;
  /** Set from the first connection: Engine.IO's own flush, run at the end of each turn. */
  private engineFlush: ((this: RawEngineSocket) => void) | null = null;
  private deferredFlush: ((this: RawEngineSocket) => void) | null = null;
  private readonly writes = new TurnWriteCoalescer((connection) =>
    this.engineFlush?.call(connection as RawEngineSocket),
  );

  /** `scaleOut`: loaded beforehand (`ScaleOut.load`), since Nest builds the server synchronously. */
  constructor(app: INestApplicationContext, scaleOut: ScaleOut) {
    super(app);
    const config = app.get<ConfigService<RootConfig, true>>(ConfigService);
    this.corsOrigins = config.get('app.corsOrigins', { infer: true });
    this.scaleOut = scaleOut;
  }

  /**
   * Builds the server from the application's own socket.io (Nest's adapter package bundles another
   * copy), so the gateway, the Redis adapter and the types all share one. Always on the HTTP port.
   */
  override createIOServer(
    _port: number,
    options?: Parameters<IoAdapter['createIOServer']>[1],
  ): ReturnType<IoAdapter['createIOServer']> {
    const server = new Server(this.httpServer as HttpServer, {
      ...(options as Partial<ServerOptions> | undefined),
      path: WS_PATH,
      serveClient: false,
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: WS_MAX_FRAME_BYTES,
      pingInterval: 25_000,
      pingTimeout: 20_000,
      connectTimeout: 10_000,
      cors: { origin: this.corsOrigins, credentials: this.corsOrigins !== true },
    });
    // Each upgrade's stand-in response, so the connection below can cut it from the request.
    const upgradeResponses = new WeakMap<object, UpgradeResponse>();
    server.engine.use(
      (
        req: IncomingMessage,
        res: ServerResponse | UpgradeResponse,
        next: (error?: unknown) => void,
      ): void => {
        if (!(res instanceof ServerResponse)) {
          upgradeResponses.set(req, res);
        }
        next();
      },
    );
    // Sent just before the 101 response: it and the engine's `open` packet, queued in the same turn,
    // leave in one write instead of two (a connect's writes are most of its cost, see
    // TurnWriteCoalescer). A handshake that fails after this point loses its 400 with the 101: the
    // client sees the connection drop, as it would see a broken upgrade.
    server.engine.on('initial_headers', (_headers: unknown, req: IncomingMessage) => {
      if (upgradeResponses.has(req)) {
        this.writes.cork(req.socket);
      }
    });
    server.engine.on('connection', (raw: RawEngineSocket) => {
      const request = raw.request;
      const query = request?._query ?? {};
      const origin = request?.headers?.origin;
      raw.handshakeInfo = {
        queryToken: typeof query.token === 'string' ? query.token : undefined,
        origin: typeof origin === 'string' ? origin : undefined,
      };
      raw.request = null;
      const response = request && upgradeResponses.get(request);
      if (response) {
        // The request (headers, raw headers, URL, query: ~1.5 KB) now goes with this turn's garbage.
        response.req = null;
        upgradeResponses.delete(request);
      }
      this.batchWrites(raw);
    });
    this.scaleOut.attach(server);
    return server as unknown as ReturnType<IoAdapter['createIOServer']>;
  }

  /**
   * Client events are not Nest message handlers (see ClientCommands): nothing to bind. Nest's default
   * would still build an RxJS pipeline per socket for the empty handler list.
   */
  override bindMessageHandlers(): void {
    // Intentionally empty.
  }

  /**
   * Nest's handler straight on the socket: the default wraps it in another closure under `once`
   * (a wrapper object, a bound function and two closures per socket), and a Socket.IO socket emits
   * `disconnect` once anyway.
   */
  override bindClientDisconnect(
    ...[client, callback]: Parameters<IoAdapter['bindClientDisconnect']>
  ): void {
    client.on('disconnect', callback as (reason: string) => void);
  }

  /**
   * A WebSocket connection's packets are flushed once at the end of the turn they were queued in
   * (one write for all of them) instead of after each packet. One shared function per server, not a
   * closure per connection; polling keeps the engine's own flush.
   */
  private batchWrites(raw: RawEngineSocket): void {
    if (!this.engineFlush || !this.deferredFlush) {
      const engineFlush = (Object.getPrototypeOf(raw) as RawEngineSocket).flush;
      const writes = this.writes;
      this.engineFlush = engineFlush;
      this.deferredFlush = function (this: RawEngineSocket): void {
        if (this.transport?.name === 'websocket') {
          writes.deferFlush(this);
        } else {
          engineFlush.call(this);
        }
      };
    }
    raw.flush = this.deferredFlush;
  }
}
