import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { performance } from 'node:perf_hooks';
import { AUTH_EVENTS, type SessionRevokedEvent } from '../../auth/auth.events';
import { GROUP_EVENTS, type GroupMemberChangedEvent } from '../../groups/groups.events';
import { MetricsService } from '../../metrics/metrics.service';
import { PRESENCE_EVENTS, type PresenceChangedEvent } from '../../presence/presence.events';
import {
  MESSAGING_EVENTS,
  type ConversationMarkerEvent,
  type MessageCreatedEvent,
} from '../messaging.events';
import { MessagingService } from '../messaging.service';
import { RealtimeServer } from './realtime-server';
import { sessionRoom, userRoom } from './realtime.types';

/**
 * Pushes domain events to sockets. Everything targets user rooms (every device of a user), with one
 * emit per event so Socket.IO encodes the payload once whatever the audience. The message handler is
 * synchronous on purpose: when `send` returns (and the sender is acked), the message has already been
 * handed to Socket.IO (on the Redis adapter: published).
 */
@Injectable()
export class DeliverySubscriber {
  private readonly logger = new Logger('Delivery');

  constructor(
    private readonly realtime: RealtimeServer,
    private readonly metrics: MetricsService,
    private readonly messaging: MessagingService,
  ) {}

  @OnEvent(MESSAGING_EVENTS.messageCreated)
  onMessageCreated(event: MessageCreatedEvent): void {
    const server = this.realtime.server;
    if (!server) {
      return;
    }
    const rooms = event.recipientIds.map(userRoom);
    rooms.push(userRoom(event.senderId));
    const target = event.originSocketId
      ? server.to(rooms).except(event.originSocketId)
      : server.to(rooms);
    target.emit('message', event.message);
    this.metrics.deliveryLatency.observe((performance.now() - event.committedAt) / 1000);
    this.metrics.messagesDelivered.inc(event.recipientIds.length);
  }

  @OnEvent(MESSAGING_EVENTS.conversationDelivered)
  onDelivered(event: ConversationMarkerEvent): void {
    if (!event.notifyIds.length) {
      return;
    }
    this.realtime.server?.to(event.notifyIds.map(userRoom)).emit('message_delivered', {
      conversationID: event.conversationId,
      seq: event.seq,
      userID: event.userId,
      deliveredAt: event.at,
    });
  }

  /** Also to the reader's own other devices, so their unread badges clear too. */
  @OnEvent(MESSAGING_EVENTS.conversationRead)
  onRead(event: ConversationMarkerEvent): void {
    this.realtime.server
      ?.to([...event.notifyIds, event.userId].map(userRoom))
      .emit('message_read', {
        conversationID: event.conversationId,
        seq: event.seq,
        userID: event.userId,
        readAt: event.at,
      });
  }

  @OnEvent(GROUP_EVENTS.memberJoined)
  onMemberJoined(event: GroupMemberChangedEvent): void {
    const audience = new Set([...event.memberIds, event.userId]);
    this.realtime.server
      ?.to([...audience].map(userRoom))
      .emit('group_member_joined', { groupID: event.groupId, userID: event.userId });
  }

  @OnEvent(GROUP_EVENTS.memberLeft)
  onMemberLeft(event: GroupMemberChangedEvent): void {
    const audience = new Set([...event.memberIds, event.userId]);
    this.realtime.server
      ?.to([...audience].map(userRoom))
      .emit('group_member_left', { groupID: event.groupId, userID: event.userId });
  }

  /** To the people who share a conversation with the user, and to the user's own other devices. */
  @OnEvent(PRESENCE_EVENTS.changed, { async: true, promisify: true })
  async onPresenceChanged(event: PresenceChangedEvent): Promise<void> {
    const server = this.realtime.server;
    if (!server) {
      return;
    }
    try {
      const peers = await this.messaging.peerIds(event.userId);
      server.to([...peers, event.userId].map(userRoom)).emit('presence', {
        userID: event.userId,
        status: event.status,
        lastSeen: event.lastSeen ? event.lastSeen.toISOString() : null,
      });
    } catch (error) {
      this.logger.warn(`Presence fan-out for ${event.userId} failed: ${String(error)}`);
    }
  }

  /** Logout or refresh-token reuse: that session's sockets are told why, then disconnected for good. */
  @OnEvent(AUTH_EVENTS.sessionRevoked)
  onSessionRevoked(event: SessionRevokedEvent): void {
    const server = this.realtime.server;
    if (!server) {
      return;
    }
    const room = sessionRoom(event.sessionId);
    server.to(room).emit('error', {
      code: 'UNAUTHORIZED',
      message: `Session ended (${event.reason}); sign in again`,
    });
    server.in(room).disconnectSockets(true);
  }
}
