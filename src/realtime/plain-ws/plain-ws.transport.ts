import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OnEvent } from '@nestjs/event-emitter';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { type Ack, ERROR_STATUS, ErrorCode } from '../../../libs/contracts/src';
import { TokenService } from '../../auth/token.service';
import type { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import { AppError } from '../../common/errors/app-error';
import { MetricsService } from '../../metrics/metrics.service';
import { PresenceService } from '../../presence/presence.service';
import { CatchUpService } from '../catch-up.service';
import { ClientCommands } from '../client-commands';
import { RealtimeDelivery, type RealtimeTransport } from '../delivery';
import { isClientEventName } from '../event-guard';
import { HandshakeAdmission } from '../handshake-admission';
import { REALTIME_EVENTS } from '../realtime.events';
import { sessionRoom, userRoom } from '../realtime.types';
import { SocketIoGateway } from '../socket-io.gateway';
import { TurnWriteCoalescer } from '../turn-write-coalescer';
import { hookLocalBroadcasts } from '../adapter-hook';
import { decodeClientFrame, encodeAck } from './frame-codec';
import { Heartbeat } from './heartbeat';
import { PlainConnection } from './plain-connection';
import { PlainWsHub } from './plain-ws.hub';
import { refuseUpgrade, routePlainWsUpgrades } from './upgrade-router';

/**
 * ws's own frame limit: far above the 64 KiB the codec enforces, so an oversize frame is answered,
 * not fatal (as WS_MAX_FRAME_BYTES for Socket.IO); past it ws closes with 1009.
 */
export const PLAIN_WS_MAX_PAYLOAD = 4 * 1024 * 1024;

/** RFC 6455 close codes used here. */
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_SERVICE_RESTART = 1012;

/** Suggested pause before clients reconnect after a shutdown (as for Socket.IO). */
const SHUTDOWN_RETRY_AFTER_MS = 1_000;

/** How long shutdown waits for clients to acknowledge the close before cutting them off. */
const SHUTDOWN_CLOSE_WAIT_MS = 2_000;

/**
 * SPEC 5b: `ws://host/ws?token=<accessToken>` (no `EIO`) with JSON frames, served by `ws` in noServer
 * mode on the HTTP server's `upgrade` event, beside Socket.IO on the same path. The token is checked
 * with the same TokenService as Socket.IO before the upgrade completes (a refusal is a plain HTTP
 * 401). A connection then lives like a Socket.IO socket: it joins its user's and session's rooms on
 * the Socket.IO adapter (so pushes, local or from other instances, reach it), counts as a device for
 * presence, gets `connected` and the catch-up, and runs client events through the same commands.
 */
@Injectable()
export class PlainWsTransport implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PlainWs');
  private readonly hub = new PlainWsHub();
  /** Frames to one connection in one event-loop turn leave in one write. */
  private readonly writes = new TurnWriteCoalescer();
  /** Public so tests can tick it instead of waiting 25 s (as PresenceService.graceMs). */
  readonly heartbeat = new Heartbeat<PlainConnection>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: PLAIN_WS_MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly undo: (() => void)[] = [];
  private closing = false;

  constructor(
    private readonly httpHost: HttpAdapterHost,
    private readonly tokens: TokenService,
    private readonly presence: PresenceService,
    private readonly metrics: MetricsService,
    private readonly catchUp: CatchUpService,
    private readonly commands: ClientCommands,
    private readonly delivery: RealtimeDelivery,
    private readonly socketIo: SocketIoGateway,
    private readonly admission: HandshakeAdmission,
  ) {}

  /** Socket.IO has attached to the HTTP server by now (gateways start before bootstrap hooks). */
  onApplicationBootstrap(): void {
    const server = this.httpHost.httpAdapter?.getHttpServer() as HttpServer | undefined;
    if (!server) {
      return;
    }
    this.undo.push(
      routePlainWsUpgrades(server, (req, socket, head) => this.onUpgrade(req, socket, head)),
    );
    const adapter = this.socketIo.ioServer?.of('/').adapter;
    if (adapter) {
      this.undo.push(
        hookLocalBroadcasts(adapter, (rooms, except, event, payload) => {
          this.hub.deliver(rooms, except, event, payload);
          if (event === 'error' && isSessionEnd(payload)) {
            this.closeSessions(rooms);
          }
        }),
      );
      this.hub.useAdapter(adapter);
    }
    this.delivery.register(this.asTransport());
  }

  /**
   * As a delivery transport: pushes need nothing from here, because Socket.IO's adapter already
   * carries every push to every instance and the hook above hands it to plain connections there
   * (one bus, one order). Closing a session's connections is done here for this instance; on other
   * instances the session-ended `error` push that precedes it closes them.
   */
  private asTransport(): RealtimeTransport {
    return {
      emitToRooms: () => undefined,
      disconnectRooms: (rooms) => {
        for (const connection of this.hub.audience(rooms)) {
          connection.close(CLOSE_POLICY_VIOLATION, 'Session ended');
        }
      },
    };
  }

  /** Broadcasts from other instances may have been lost (Redis was away): catch everyone up. */
  @OnEvent(REALTIME_EVENTS.broadcastsResumed)
  catchUpLocalConnections(): void {
    for (const connection of this.hub.connections()) {
      void this.catchUp.deliverPending(connection);
    }
  }

  get connectionCount(): number {
    return this.hub.size;
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that hangs up during the token check must not crash the process.
    socket.on('error', () => undefined);
    if (this.closing) {
      refuseUpgrade(
        socket,
        ERROR_STATUS[ErrorCode.UNAVAILABLE],
        { code: ErrorCode.UNAVAILABLE, message: 'Shutting down; reconnect to another instance' },
        { 'Retry-After': '1' },
      );
      return;
    }
    // Connect admission (shared with Socket.IO): refused before the token check, at once.
    const busy = this.admission.admit('plain-ws');
    if (busy) {
      refuseUpgrade(
        socket,
        ERROR_STATUS[busy.code],
        { code: busy.code, message: busy.message },
        { 'Retry-After': String(Math.max(1, Math.ceil(busy.retryAfterMs / 1000))) },
      );
      return;
    }
    this.authenticate(request).then(
      (user) => {
        this.admission.done();
        if (socket.destroyed || this.closing) {
          socket.destroy();
          return;
        }
        this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, user));
      },
      (error: unknown) => {
        this.admission.done();
        if (error instanceof AppError) {
          const retry =
            error.code === ErrorCode.UNAVAILABLE || error.retryAfterSeconds !== undefined
              ? { 'Retry-After': String(Math.ceil(error.retryAfterSeconds ?? 1)) }
              : undefined;
          refuseUpgrade(socket, error.status, { code: error.code, message: error.message }, retry);
          return;
        }
        // The token may be fine: the session store could not be asked. Never a 401 for that.
        this.logger.warn(`Upgrade check failed: ${String(error)}`);
        refuseUpgrade(
          socket,
          ERROR_STATUS[ErrorCode.UNAVAILABLE],
          { code: ErrorCode.UNAVAILABLE, message: 'Could not check the token; try again' },
          { 'Retry-After': '1' },
        );
      },
    );
  }

  /** `?token=` as in the brief, else an `Authorization: Bearer` header (non-browser clients). */
  private authenticate(request: IncomingMessage): Promise<AuthenticatedUser> {
    const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
    const header = request.headers.authorization;
    const token = query.get('token') ?? (typeof header === 'string' ? header : undefined);
    return this.tokens.verifyAccessToken(token?.replace(/^Bearer\s+/i, ''));
  }

  private onConnection(ws: WebSocket, user: AuthenticatedUser): void {
    const connection = new PlainConnection(ws, user, this.writes);
    this.metrics.socketConnections.inc();
    // The user room only after the backlog (catch-up holds what it receives meanwhile).
    const session = sessionRoom(user.sessionId);
    this.hub.add(connection, [session]);
    this.heartbeat.track(connection);
    const registered = this.presence.socketConnected(user.userId).catch((error: unknown) => {
      this.logger.warn(`Presence update for ${user.userId} failed: ${String(error)}`);
    });
    ws.on('pong', () => this.heartbeat.alive(connection));
    ws.on('message', (data: RawData) => void this.onFrame(connection, data));
    ws.on('error', (error) => this.logger.debug(`Connection error: ${error.message}`));
    ws.once('close', () => void this.onClose(connection, registered));
    connection.send('connected', { userID: user.userId, timestamp: new Date().toISOString() });
    // Set-up counts as a handshake in flight (connect admission) until its catch-up is out.
    this.admission.settingUp();
    void registered
      .then(() =>
        this.catchUp.connect(connection, userRoom(user.userId), [connection.id, session], () =>
          this.hub.join(connection, userRoom(user.userId)),
        ),
      )
      .finally(() => this.admission.done());
  }

  private async onClose(connection: PlainConnection, registered: Promise<void>): Promise<void> {
    this.hub.remove(connection);
    this.heartbeat.untrack(connection);
    this.metrics.socketConnections.dec();
    await registered;
    await this.presence.socketDisconnected(connection.user.userId).catch((error: unknown) => {
      this.logger.warn(`Presence update for ${connection.user.userId} failed: ${String(error)}`);
    });
  }

  private async onFrame(connection: PlainConnection, raw: RawData): Promise<void> {
    const decoded = decodeClientFrame(
      Array.isArray(raw) ? Buffer.concat(raw) : raw instanceof ArrayBuffer ? Buffer.from(raw) : raw,
    );
    if (!decoded.ok) {
      this.answer(connection, decoded.id, decoded.type, { success: false, error: decoded.error });
      return;
    }
    const { type, id, data } = decoded.frame;
    const ack = await this.dispatch(connection, type, data);
    this.answer(connection, id, type, ack);
  }

  /** The same command table as Socket.IO; `ping` also gets its `pong`, as there. */
  private async dispatch(
    connection: PlainConnection,
    type: string,
    data: unknown,
  ): Promise<Ack<unknown>> {
    if (!isClientEventName(type)) {
      return {
        success: false,
        error: {
          code: ErrorCode.VALIDATION_FAILED,
          message: `Unknown type "${type.slice(0, 64)}"`,
        },
      };
    }
    const caller = { ...connection.user, connectionId: connection.id };
    const response = await this.commands.execute(caller, type, data);
    if (type === 'ping' && response.success) {
      connection.send('pong', response.data as { timestamp: string });
    }
    return response;
  }

  /** An ack when the frame had an id; otherwise only failures are answered, as an `error` event. */
  private answer(
    connection: PlainConnection,
    id: string | undefined,
    type: string | undefined,
    ack: Ack<unknown>,
  ): void {
    if (id !== undefined) {
      connection.sendText(encodeAck(id, ack));
    } else if (!ack.success) {
      connection.send('error', { ...ack.error, ...(type === undefined ? {} : { event: type }) });
    }
  }

  /** Logout or token reuse: the session's connections were just told; now they are closed. */
  private closeSessions(rooms: ReadonlySet<string>): void {
    for (const connection of this.hub.audience([...rooms].filter(isSessionRoom))) {
      connection.close(CLOSE_POLICY_VIOLATION, 'Session ended');
    }
  }

  /**
   * Shutdown: stop taking upgrades, tell every connection to come back (to this or another
   * instance), close them, and wait (briefly) for the closes to finish so presence is counted.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.heartbeat.stop();
    for (const undo of this.undo.splice(0).reverse()) {
      undo();
    }
    const connections = [...this.hub.connections()];
    await Promise.all(
      connections.map(
        (connection) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              connection.terminate();
              resolve();
            }, SHUTDOWN_CLOSE_WAIT_MS);
            connection.socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            connection.send('shutdown', { reconnect: true, retryAfterMs: SHUTDOWN_RETRY_AFTER_MS });
            connection.close(CLOSE_SERVICE_RESTART, 'Server restarting; reconnect');
          }),
      ),
    );
    this.wss.close();
  }
}

function isSessionEnd(payload: unknown): boolean {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { code?: unknown }).code === ErrorCode.UNAUTHORIZED
  );
}

const isSessionRoom = (room: string): boolean => room.startsWith(sessionRoom(''));
