import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Ack } from '../../libs/contracts/src';
import { MetricsService } from '../metrics/metrics.service';
import { PresenceService } from '../presence/presence.service';
import { CatchUpService } from './catch-up.service';
import { ClientCommands } from './client-commands';
import { RealtimeDelivery } from './delivery';
import { refuseClientEvent } from './event-guard';
import { HandshakeAdmission } from './handshake-admission';
import { REALTIME_EVENTS } from './realtime.events';
import type { AppServer, AppSocket, RealtimeConnection } from './realtime.types';
import { SocketAuthMiddleware } from './socket-auth.middleware';
import { SocketIdentities } from './socket-identities';
import { SocketIoTransport } from './socket-io.transport';

/** Suggested pause before clients reconnect after a shutdown (they add jitter). */
const SHUTDOWN_RETRY_AFTER_MS = 1_000;

type AckFn = (response: unknown) => void;

/**
 * What `socket.handshake` is once a socket has connected: one shared object instead of each socket's
 * own (~280 bytes: headers, query and auth objects, a date string). Nothing reads it after the
 * handshake's authentication (the identity is `socket.data.user`).
 */
const RELEASED_HANDSHAKE: AppSocket['handshake'] = Object.freeze({
  headers: Object.freeze({}),
  time: '',
  address: '',
  xdomain: false,
  secure: false,
  issued: 0,
  url: '',
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

/** Socket.IO packet middleware that ends every packet: client events are handled in `onAny` only. */
function swallowPacket(): void {
  // Never calls next(): nothing reaches Socket.IO's own listeners (not even a forged "disconnect").
}

function connectionOf(socket: AppSocket): RealtimeConnection {
  return {
    id: socket.id,
    userId: socket.data.user.userId,
    get connected() {
      return socket.connected;
    },
    send: (event, payload) => {
      (socket.emit as (event: string, payload: unknown) => boolean)(event, payload);
    },
  };
}

/**
 * The Socket.IO edge on `/ws` (path and transport options live in AppIoAdapter): authenticates in the
 * handshake, tracks connections for presence, joins user and session rooms, catches up, and hands each
 * client event to the transport-independent command table. One shared listener serves every socket.
 */
@WebSocketGateway()
export class SocketIoGateway
  implements
    OnGatewayInit<AppServer>,
    OnGatewayConnection<AppSocket>,
    OnGatewayDisconnect<AppSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('Gateway');
  /** Each socket's presence registration, so its disconnect is counted strictly after it. */
  private readonly registered = new WeakMap<AppSocket, Promise<void>>();
  /** Who each socket is and its room names: one copy per session and per user, not per socket. */
  private readonly identities = new SocketIdentities();
  private server: AppServer | null = null;
  /**
   * Every client event of every socket: one shared listener (Socket.IO calls it with the socket as
   * `this`), so a connection costs no closure per event.
   */
  private readonly onClientEvent: (this: AppSocket, event: unknown, ...args: unknown[]) => void;

  constructor(
    private readonly auth: SocketAuthMiddleware,
    private readonly commands: ClientCommands,
    private readonly delivery: RealtimeDelivery,
    private readonly presence: PresenceService,
    private readonly catchUp: CatchUpService,
    private readonly metrics: MetricsService,
    private readonly admission: HandshakeAdmission,
  ) {
    const dispatch = (socket: AppSocket, event: unknown, args: unknown[]) =>
      this.dispatch(socket, event, args);
    this.onClientEvent = function onClientEvent(this: AppSocket, event, ...args) {
      dispatch(this, event, args);
    };
  }

  /** The Socket.IO server once initialised (the plain WebSocket transport rides on its adapter). */
  get ioServer(): AppServer | null {
    return this.server;
  }

  afterInit(server: AppServer): void {
    this.server = server;
    server.use(this.auth.use);
    this.delivery.register(new SocketIoTransport(server));
    // The adapter is final here (ScaleOut attached it when the server was built).
    this.catchUp.useAdapter(server.of('/').adapter);
  }

  async handleConnection(socket: AppSocket): Promise<void> {
    const identity = this.identities.acquire(socket.data.user);
    socket.data.user = identity.user;
    (socket as { handshake: AppSocket['handshake'] }).handshake = RELEASED_HANDSHAKE;
    const { userId } = identity.user;
    this.metrics.socketConnections.inc();
    socket.onAny(this.onClientEvent);
    socket.use(swallowPacket);
    const registered = this.presence.socketConnected(userId).catch((error: unknown) => {
      this.logger.warn(`Presence update for ${userId} failed: ${String(error)}`);
    });
    this.registered.set(socket, registered);
    // Set-up counts as a handshake in flight (connect admission) until its catch-up is out.
    this.admission.settingUp();
    try {
      // The user room only after the backlog (catch-up holds what it receives meanwhile).
      await socket.join(identity.sessionRoom);
      socket.emit('connected', { userID: userId, timestamp: new Date().toISOString() });
      await registered;
      // Registered: a disconnect from now on needs nothing to wait for (no promise kept per socket).
      this.registered.delete(socket);
      await this.catchUp.connect(
        connectionOf(socket),
        identity.userRoom,
        [socket.id, identity.sessionRoom],
        // Synchronous with every adapter this server uses (in-memory, Redis, node:cluster).
        () => void socket.join(identity.userRoom),
      );
    } catch (error) {
      this.logger.error(`Connection setup for ${userId} failed: ${String(error)}`);
    } finally {
      this.admission.done();
    }
  }

  async handleDisconnect(socket: AppSocket): Promise<void> {
    this.metrics.socketConnections.dec();
    const user = socket.data.user;
    if (user) {
      this.identities.release(user);
      await this.registered.get(socket);
      await this.presence.socketDisconnected(user.userId).catch((error: unknown) => {
        this.logger.warn(`Presence update for ${user.userId} failed: ${String(error)}`);
      });
    }
  }

  /** Broadcasts from other instances may have been lost: catch every local socket up. */
  @OnEvent(REALTIME_EVENTS.broadcastsResumed)
  catchUpLocalSockets(): void {
    const sockets = this.server ? [...this.server.of('/').sockets.values()] : [];
    if (sockets.length) {
      this.logger.log(`Catching up ${sockets.length} local socket(s)`);
    }
    for (const socket of sockets) {
      void this.catchUp.deliverPending(connectionOf(socket));
    }
  }

  /**
   * A client event: refused early (unknown name, oversize, too deep), else run by the command table
   * and answered with an ack, or with an `error` event when the client gave no callback.
   */
  private dispatch(socket: AppSocket, event: unknown, args: unknown[]): void {
    const ack =
      args.length && typeof args[args.length - 1] === 'function'
        ? (args.pop() as AckFn)
        : undefined;
    const refusal = refuseClientEvent(event, args);
    const reply = (response: Ack<unknown>, name: string): void => {
      if (ack) {
        ack(response);
      } else if (!response.success) {
        socket.emit('error', { ...response.error, event: name.slice(0, 64) });
      }
    };
    if (refusal) {
      reply({ success: false, error: refusal }, typeof event === 'string' ? event : '');
      return;
    }
    const name = event as Parameters<ClientCommands['execute']>[1];
    const caller = { ...socket.data.user, connectionId: socket.id };
    void this.commands.execute(caller, name, args[0]).then((response) => {
      if (name === 'ping' && response.success) {
        socket.emit('pong', response.data as { timestamp: string });
      }
      reply(response, name);
    });
  }

  /**
   * Shutdown: tell every socket to come back (to this or another instance), then close the
   * transports without a Socket.IO disconnect packet, so clients reconnect by themselves; catch-up
   * covers anything sent meanwhile.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    const sockets = [...server.of('/').sockets.values()];
    if (sockets.length) {
      server.local.emit('shutdown', { reconnect: true, retryAfterMs: SHUTDOWN_RETRY_AFTER_MS });
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 2_000);
              socket.once('disconnect', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.conn.close();
            }),
        ),
      );
    }
    await this.presence.beforeApplicationShutdown();
  }
}
