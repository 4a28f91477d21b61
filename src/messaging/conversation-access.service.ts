import { Injectable } from '@nestjs/common';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { AppError } from '../common/errors/app-error';
import { assertUuid } from '../common/validation/uuid';
import {
  ConversationsRepository,
  type ConversationAccessRecord,
} from './repositories/conversations.repository';

/** What a caller may do in a conversation, resolved from any of the ids the API accepts. */
export interface ConversationAccess {
  conversationId: string;
  type: 'direct' | 'group';
  groupId: string | null;
  /** Direct conversations: the other participant. */
  peerId: string | null;
  /** The newest seq the caller may read (the conversation's, or where they left a group). */
  visibleSeq: number;
  lastReadSeq: number;
  lastDeliveredSeq: number;
  /** False once the caller has left the group (they read up to visibleSeq and receive nothing more). */
  active: boolean;
}

/**
 * Resolves `{conversationID}` (a conversation id, a group id, or for a direct conversation the other
 * user's id) and authorises the caller in one query. Non-participants get FORBIDDEN, or NOT_FOUND for
 * private groups, never the conversation.
 */
@Injectable()
export class ConversationAccessService {
  /**
   * The lookups asked in one event-loop turn share one statement (keys `user:ref`). Never joined to
   * a read already running: a caller's lookup must see what the caller did before asking (a group
   * it just joined), so it waits for the next statement instead.
   */
  private readonly lookups: TickBatcher<string, ConversationAccessRecord | null>;

  constructor(private readonly conversations: ConversationsRepository) {
    this.lookups = new TickBatcher(
      async (keys) => {
        const requests = keys.map((key) => {
          const [userId, ref] = key.split(':');
          return { userId, ref };
        });
        const records = await this.conversations.findAccesses(requests);
        return new Map(keys.map((key, index) => [key, records[index]]));
      },
      { maxBatch: 500, fallback: null, joinInFlight: false },
    );
  }

  /** How many batched lookups ran (for tests: counters, not timings). */
  get lookupLoads(): number {
    return this.lookups.loads;
  }

  /** Returns null only for a peer user with whom no conversation exists yet. */
  async resolve(userId: string, ref: string): Promise<ConversationAccess | null> {
    assertUuid(ref, 'conversationID');
    const id = ref.toLowerCase();
    const row = await this.lookups.get(`${userId}:${id}`);
    if (!row) {
      if (id === userId.toLowerCase()) {
        throw AppError.validation('There is no conversation with yourself');
      }
      if (await this.conversations.userExists(id)) {
        return null;
      }
      throw AppError.notFound('Conversation');
    }
    const member = row.member;
    if (!member) {
      if (row.type === 'group' && row.groupVisibility === 'private') {
        throw AppError.notFound('Conversation');
      }
      throw AppError.forbidden('You are not a participant of this conversation');
    }
    return {
      conversationId: row.id,
      type: row.type,
      groupId: row.groupId,
      peerId: row.type === 'direct' ? (row.userLow === userId ? row.userHigh : row.userLow) : null,
      visibleSeq: member.leftSeq === null ? row.lastSeq : Math.min(row.lastSeq, member.leftSeq),
      lastReadSeq: member.lastReadSeq,
      lastDeliveredSeq: member.lastDeliveredSeq,
      active: member.leftSeq === null,
    };
  }

  /** As resolve, but a conversation must exist (a peer with no messages yet is NOT_FOUND). */
  async require(userId: string, ref: string): Promise<ConversationAccess> {
    const access = await this.resolve(userId, ref);
    if (!access) {
      throw AppError.notFound('Conversation');
    }
    return access;
  }

  /** As require, and the caller must still be an active participant. */
  async requireActive(userId: string, ref: string): Promise<ConversationAccess> {
    const access = await this.require(userId, ref);
    if (!access.active) {
      throw AppError.forbidden('You are no longer a member of this group');
    }
    return access;
  }
}
