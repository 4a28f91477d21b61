import { BlocksService } from '../blocks/blocks.service';
import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { performance } from 'node:perf_hooks';
import { AUTH_EVENTS, type SessionRevokedEvent } from '../auth/auth.events';
import { GROUP_EVENTS, type GroupMemberChangedEvent } from '../groups/groups.events';
import {
  MESSAGING_EVENTS,
  type ConversationMarkerEvent,
  type MessageCreatedEvent,
  type MessageDeletedEvent,
  type MessageUpdatedEvent,
} from '../messaging/messaging.events';
import { MarkersService } from '../messaging/markers.service';
import { MetricsService } from '../metrics/metrics.service';
import { PRESENCE_EVENTS, type PresenceChangedEvent } from '../presence/presence.events';
import { RealtimeDelivery } from './delivery';
import { ReceiptCoalescer } from './receipt-coalescer';

/**
 * Turns domain events into pushes. Everything targets users (every device), with one emit per event
 * so each transport encodes the payload once whatever the audience. The message handler is
 * synchronous on purpose: when `send` returns (and the sender is acked), the message has already been
 * handed to every transport (on the Redis adapter: published).
 */
@Injectable()
export class DeliverySubscriber {
  private readonly logger = new Logger('Delivery');
  private readonly receipts = new ReceiptCoalescer((receipt) =>
    this.delivery.toUsers(receipt.notifyIds, 'message_delivered', {
      conversationID: receipt.conversationId,
      seq: receipt.seq,
      userID: receipt.userId,
      deliveredAt: receipt.at,
    }),
  );

  constructor(
    private readonly delivery: RealtimeDelivery,
    private readonly metrics: MetricsService,
    private readonly markers: MarkersService,
    private readonly blocks: BlocksService,
  ) {}

  @OnEvent(MESSAGING_EVENTS.messageCreated)
  onMessageCreated(event: MessageCreatedEvent): void {
    // The sender's other devices get it too; the connection that sent it gets the ack instead.
    this.delivery.toUsers([...event.recipientIds, event.senderId], 'message', event.message, {
      exceptConnection: event.originSocketId,
    });
    this.metrics.deliveryLatency.observe((performance.now() - event.committedAt) / 1000);
    this.metrics.messagesDelivered.inc(event.recipientIds.length);
  }

  /** An edit, a reaction change or a thread root's new summary: every participant's devices. */
  @OnEvent(MESSAGING_EVENTS.messageUpdated)
  onMessageUpdated(event: MessageUpdatedEvent): void {
    this.delivery.toUsers(event.participantIds, 'message_updated', { message: event.message });
  }

  @OnEvent(MESSAGING_EVENTS.messageDeleted)
  onMessageDeleted(event: MessageDeletedEvent): void {
    this.delivery.toUsers(event.participantIds, 'message_deleted', {
      conversationID: event.conversationId,
      id: event.id,
      seq: event.seq,
      version: event.version,
    });
  }

  /** Receipts of one turn, one per (conversation, reader): the newest. */
  @OnEvent(MESSAGING_EVENTS.conversationDelivered)
  onDelivered(event: ConversationMarkerEvent): void {
    this.receipts.add(event);
  }

  /** Also to the reader's own other devices, so their unread badges clear too. */
  @OnEvent(MESSAGING_EVENTS.conversationRead)
  onRead(event: ConversationMarkerEvent): void {
    this.delivery.toUsers([...event.notifyIds, event.userId], 'message_read', {
      conversationID: event.conversationId,
      seq: event.seq,
      userID: event.userId,
      readAt: event.at,
    });
  }

  @OnEvent(GROUP_EVENTS.memberJoined)
  onMemberJoined(event: GroupMemberChangedEvent): void {
    const audience = new Set([...event.memberIds, event.userId]);
    this.delivery.toUsers([...audience], 'group_member_joined', {
      groupID: event.groupId,
      userID: event.userId,
    });
  }

  @OnEvent(GROUP_EVENTS.memberLeft)
  onMemberLeft(event: GroupMemberChangedEvent): void {
    const audience = new Set([...event.memberIds, event.userId]);
    this.delivery.toUsers([...audience], 'group_member_left', {
      groupID: event.groupId,
      userID: event.userId,
    });
  }

  /** To the people who share a conversation with the user, and to the user's own other devices. */
  @OnEvent(PRESENCE_EVENTS.changed, { async: true, promisify: true })
  async onPresenceChanged(event: PresenceChangedEvent): Promise<void> {
    try {
      // Users this user blocks get no presence from them.
      const hidden = await this.blocks.blockedBy(event.userId);
      const peers = (await this.markers.peerIds(event.userId)).filter((id) => !hidden.has(id));
      this.delivery.toUsers([...peers, event.userId], 'presence', {
        userID: event.userId,
        status: event.status,
        lastSeen: event.lastSeen ? event.lastSeen.toISOString() : null,
      });
    } catch (error) {
      this.logger.warn(`Presence fan-out for ${event.userId} failed: ${String(error)}`);
    }
  }

  /** Logout or refresh-token reuse: that session's connections are told why, then closed for good. */
  @OnEvent(AUTH_EVENTS.sessionRevoked)
  onSessionRevoked(event: SessionRevokedEvent): void {
    this.delivery.toSession(event.sessionId, 'error', {
      code: 'UNAUTHORIZED',
      message: `Session ended (${event.reason}); sign in again`,
    });
    this.delivery.disconnectSession(event.sessionId);
  }
}
