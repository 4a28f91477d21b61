import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { AppError } from '../common/errors/app-error';
import { ConversationAccessService, type ConversationAccess } from './conversation-access.service';
import { assertUuid } from '../common/validation/uuid';
import { ConversationCache } from './conversation-cache';
import { DeliveryMarkerBuffer } from './marker.service';
import { MESSAGING_EVENTS, type ConversationMarkerEvent } from './messaging.events';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';
import { ConversationsRepository } from './repositories/conversations.repository';
import { MessagesRepository } from './repositories/messages.repository';

/**
 * Read and delivery markers and who takes part: moving markers forward (never back), publishing
 * receipts to the right people, and the participant answers typing and presence fan-out need.
 */
@Injectable()
export class MarkersService {
  /**
   * Newest seqs of conversations whose messages this instance did not write (another instance did):
   * every receipt for them would otherwise re-check access, one query each; this is one query per
   * event-loop turn for all of them. Not shared with a read already running: the confirmed message
   * committed before the client saw it, so only a read started after the receipt is sure to see it.
   */
  private readonly lastSeqs: TickBatcher<string, number>;
  /** Peers of users whose presence changed in the same turn, read together (reconnect storms). */
  private readonly peers: TickBatcher<string, string[]>;

  constructor(
    private readonly members: ConversationMembersRepository,
    private readonly messages: MessagesRepository,
    private readonly access: ConversationAccessService,
    private readonly cache: ConversationCache,
    private readonly deliveries: DeliveryMarkerBuffer,
    private readonly events: EventEmitter2,
    conversations: ConversationsRepository,
  ) {
    this.lastSeqs = new TickBatcher((ids) => conversations.lastSeqs(ids), {
      maxBatch: 500,
      fallback: 0,
      joinInFlight: false,
    });
    this.peers = new TickBatcher((ids) => members.peerIdsOf(ids), {
      maxBatch: 500,
      fallback: [],
      joinInFlight: false,
    });
  }

  /**
   * A message of `conversationId` up to `seq` was handed to this instance's sockets (written here or
   * on another instance): receipts up to it need no seq read.
   */
  noteDelivered(conversationId: string, seq: number): void {
    this.cache.noteSeq(conversationId, seq);
  }

  /** How many batched seq reads ran (for tests: counters, not timings). */
  get seqReads(): number {
    return this.lastSeqs.loads;
  }

  /** How many batched peer reads ran (for tests). */
  get peerReads(): number {
    return this.peers.loads;
  }
  /** Moves the read marker (and with it the delivery marker) forward; never backwards. */
  async markRead(
    userId: string,
    ref: string,
    seq?: number,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    const access = await this.access.require(userId, ref);
    return this.advanceRead(userId, access, seq);
  }

  /** `PUT /api/messages/{id}/read`: read up to that message. */
  async markMessageRead(
    userId: string,
    messageId: string,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number; messageID: string }> {
    assertUuid(messageId, 'messageID');
    const located = await this.messages.locate(messageId);
    if (!located) {
      throw AppError.notFound('Message');
    }
    const access = await this.access.require(userId, located.conversationId);
    const seq = located.seq;
    if (seq > access.visibleSeq) {
      throw AppError.notFound('Message');
    }
    return { ...(await this.advanceRead(userId, access, seq)), messageID: messageId };
  }

  /** Confirms receipt up to `seq`; coalesced, written within 100 ms. */
  async markDelivered(
    userId: string,
    ref: string,
    seq: number,
  ): Promise<{ conversationID: string; seq: number }> {
    let access = this.cache.getAccess(userId, ref);
    if (!access) {
      access = await this.cache.loadAccess(userId, ref, () => this.access.require(userId, ref));
    } else if (access.active && seq > this.cache.knownSeq(access.conversationId)) {
      // More than this instance knows exists: written elsewhere, or claimed. Learn the real seq.
      this.cache.noteSeq(access.conversationId, await this.lastSeqs.get(access.conversationId));
    }
    const visible = access.active
      ? Math.max(access.visibleSeq, this.cache.knownSeq(access.conversationId))
      : access.visibleSeq;
    const target = Math.min(seq, visible);
    const known = this.deliveries.advanceFrom(
      access.conversationId,
      userId,
      Math.max(access.lastDeliveredSeq, access.lastReadSeq),
      target,
    );
    if (target > known) {
      // A direct conversation's one peer needs no lookup (and no turn).
      const notifyIds =
        access.type === 'direct'
          ? access.peerId
            ? [access.peerId]
            : []
          : await this.groupSendersToNotify(access, userId, known, target);
      if (notifyIds.length) {
        const event: ConversationMarkerEvent = {
          conversationId: access.conversationId,
          userId,
          seq: target,
          at: new Date().toISOString(),
          notifyIds,
        };
        this.events.emit(MESSAGING_EVENTS.conversationDelivered, event);
      }
    }
    return { conversationID: access.conversationId, seq: Math.max(target, known) };
  }

  /** For typing: the caller must be an active participant; returns everyone active in it. */
  async activeParticipantIds(
    userId: string,
    ref: string,
  ): Promise<{ conversationId: string; participantIds: string[] }> {
    let access = this.cache.getAccess(userId, ref);
    if (!access?.active) {
      access = await this.cache.loadAccess(userId, ref, () => this.access.require(userId, ref));
      if (!access.active) {
        throw AppError.forbidden('You are no longer a member of this group');
      }
    }
    return {
      conversationId: access.conversationId,
      participantIds: await this.participantIds(access.conversationId, access.type === 'direct'),
    };
  }

  /** Users who share an active conversation with `userId` (the audience of their presence). */
  async peerIds(userId: string): Promise<string[]> {
    return this.peers.get(userId);
  }

  private async advanceRead(
    userId: string,
    access: ConversationAccess,
    seq: number | undefined,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    const target = Math.min(seq ?? access.visibleSeq, access.visibleSeq);
    // The marker as stored: asked to go back, it stays where it was.
    const now = (await this.members.advanceRead(access.conversationId, userId, target)) ?? target;
    if (now > access.lastReadSeq) {
      await this.publishMarker(MESSAGING_EVENTS.conversationRead, access, userId, now);
    }
    return {
      conversationID: access.conversationId,
      seq: now,
      unreadCount: Math.max(0, access.visibleSeq - now),
    };
  }

  private async publishMarker(
    name: string,
    access: ConversationAccess,
    userId: string,
    seq: number,
  ): Promise<void> {
    const notifyIds = (
      await this.participantIds(access.conversationId, access.type === 'direct')
    ).filter((id) => id !== userId);
    const event: ConversationMarkerEvent = {
      conversationId: access.conversationId,
      userId,
      seq,
      at: new Date().toISOString(),
      notifyIds,
    };
    this.events.emit(name, event);
  }

  /**
   * In a group, a delivery receipt goes to the senders of the newly delivered messages (SPEC: "the
   * sender gets message_delivered"), not to every member: in a group of N that keeps receipts at
   * O(N) per message instead of O(N^2).
   */
  private async groupSendersToNotify(
    access: ConversationAccess,
    userId: string,
    after: number,
    upTo: number,
  ): Promise<string[]> {
    let senders = this.cache.sendersBetween(access.conversationId, after, upTo);
    if (!senders) {
      senders = new Set(await this.messages.senderIdsBetween(access.conversationId, after, upTo));
    }
    senders.delete(userId);
    return [...senders];
  }

  private async participantIds(conversationId: string, direct: boolean): Promise<string[]> {
    const cached = this.cache.getParticipants(conversationId);
    if (cached) {
      return cached;
    }
    const ids = await this.members.activeParticipantIds(conversationId);
    this.cache.setParticipants(conversationId, ids, direct);
    return ids;
  }
}
