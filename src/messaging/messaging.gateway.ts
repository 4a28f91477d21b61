import { type BeforeApplicationShutdown, Logger, UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type {
  ConversationSeq,
  GroupMembership,
  LeaveGroupResult,
  Message,
  PresenceStatus,
  SyncResult,
} from '../../libs/contracts/src';
import { AllExceptionsFilter } from '../common/filters/all-exceptions.filter';
import { createValidationPipe } from '../common/http/validation';
import { GroupsService } from '../groups/groups.service';
import { MetricsService } from '../metrics/metrics.service';
import { SetStatusDto } from '../presence/dto/set-status.dto';
import { PresenceService } from '../presence/presence.service';
import { ConversationSeqDto } from './dto/conversation-seq.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { SyncDto } from './dto/sync.dto';
import { MessagingService } from './messaging.service';
import { CatchUpService } from './realtime/catch-up.service';
import { GroupRefDto } from './realtime/dto/group-ref.dto';
import { TypingDto } from './realtime/dto/typing.dto';
import { eventGuard } from './realtime/event-guard';
import { RealtimeServer } from './realtime/realtime-server';
import { type AppServer, type AppSocket, sessionRoom, userRoom } from './realtime/realtime.types';
import { SocketAuthMiddleware } from './realtime/socket-auth.middleware';
import { TypingService } from './realtime/typing.service';

type Ok<T> = { success: true; data: T };

const ok = <T>(data: T): Ok<T> => ({ success: true, data });

/** Suggested pause before clients reconnect after a shutdown (they add jitter). */
const SHUTDOWN_RETRY_AFTER_MS = 1_000;

/**
 * The Socket.IO edge on `/ws` (path and transport options live in AppIoAdapter). Authenticates in the
 * handshake, tracks connections for presence, and maps each client event onto the same service
 * method and DTO as its HTTP route. Errors become error acks (or `error` events) through the shared
 * filter; the socket always stays connected.
 */
@UsePipes(createValidationPipe())
@UseFilters(new AllExceptionsFilter())
@WebSocketGateway()
export class MessagingGateway
  implements
    OnGatewayInit<AppServer>,
    OnGatewayConnection<AppSocket>,
    OnGatewayDisconnect<AppSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('Gateway');
  /** Each socket's presence registration, so its disconnect is counted strictly after it. */
  private readonly registered = new WeakMap<AppSocket, Promise<void>>();

  @WebSocketServer()
  server!: AppServer;

  constructor(
    private readonly auth: SocketAuthMiddleware,
    private readonly realtime: RealtimeServer,
    private readonly messaging: MessagingService,
    private readonly groups: GroupsService,
    private readonly presence: PresenceService,
    private readonly typingService: TypingService,
    private readonly catchUp: CatchUpService,
    private readonly metrics: MetricsService,
  ) {}

  afterInit(server: AppServer): void {
    this.realtime.attach(server);
    server.use(this.auth.use);
  }

  async handleConnection(socket: AppSocket): Promise<void> {
    const { userId, sessionId } = socket.data.user;
    this.metrics.socketConnections.inc();
    socket.use(eventGuard(socket));
    const registered = this.presence.socketConnected(userId).catch((error: unknown) => {
      this.logger.warn(`Presence update for ${userId} failed: ${String(error)}`);
    });
    this.registered.set(socket, registered);
    try {
      // Rooms first: anything committed from now on is pushed live, the rest comes from catch-up.
      await socket.join([userRoom(userId), sessionRoom(sessionId)]);
      socket.emit('connected', { userID: userId, timestamp: new Date().toISOString() });
      await registered;
      await this.catchUp.deliverPending(socket);
    } catch (error) {
      this.logger.error(`Connection setup for ${userId} failed: ${String(error)}`);
    }
  }

  async handleDisconnect(socket: AppSocket): Promise<void> {
    this.metrics.socketConnections.dec();
    const user = socket.data.user;
    if (user) {
      await this.registered.get(socket);
      await this.presence.socketDisconnected(user.userId).catch((error: unknown) => {
        this.logger.warn(`Presence update for ${user.userId} failed: ${String(error)}`);
      });
    }
  }

  @SubscribeMessage('send_message')
  async sendMessage(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: SendMessageDto,
  ): Promise<Ok<Message>> {
    return ok(await this.messaging.send(socket.data.user.userId, dto, socket.id));
  }

  @SubscribeMessage('message_delivered')
  async messageDelivered(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: ConversationSeqDto,
  ): Promise<Ok<ConversationSeq>> {
    return ok(
      await this.messaging.markDelivered(socket.data.user.userId, dto.conversationID, dto.seq),
    );
  }

  @SubscribeMessage('mark_read')
  async markRead(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: ConversationSeqDto,
  ): Promise<Ok<ConversationSeq>> {
    const result = await this.messaging.markRead(
      socket.data.user.userId,
      dto.conversationID,
      dto.seq,
    );
    return ok({ conversationID: result.conversationID, seq: result.seq });
  }

  @SubscribeMessage('typing')
  async typing(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: TypingDto,
  ): Promise<Ok<null>> {
    await this.typingService.typing(socket.data.user, socket.id, dto);
    return ok(null);
  }

  @SubscribeMessage('join_group')
  async joinGroup(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: GroupRefDto,
  ): Promise<Ok<GroupMembership>> {
    return ok(await this.groups.join(socket.data.user.userId, dto.groupID));
  }

  @SubscribeMessage('leave_group')
  async leaveGroup(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: GroupRefDto,
  ): Promise<Ok<LeaveGroupResult>> {
    return ok(await this.groups.leave(socket.data.user.userId, dto.groupID));
  }

  @SubscribeMessage('set_status')
  async setStatus(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: SetStatusDto,
  ): Promise<Ok<{ status: PresenceStatus }>> {
    return ok({ status: await this.presence.setStatus(socket.data.user.userId, dto.status) });
  }

  @SubscribeMessage('sync')
  async sync(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() dto: SyncDto,
  ): Promise<Ok<SyncResult>> {
    return ok(
      await this.messaging.sync(
        socket.data.user.userId,
        dto.conversationID,
        dto.after,
        dto.limit ?? 100,
      ),
    );
  }

  @SubscribeMessage('ping')
  ping(@ConnectedSocket() socket: AppSocket): Ok<{ timestamp: string }> {
    const timestamp = new Date().toISOString();
    socket.emit('pong', { timestamp });
    return ok({ timestamp });
  }

  /**
   * Shutdown: tell every socket to come back (to this or another instance), then close the
   * transports without a Socket.IO disconnect packet, so clients reconnect by themselves; catch-up
   * covers anything sent meanwhile.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.realtime.server;
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
