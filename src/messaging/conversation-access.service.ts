import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { assertUuid } from '../common/validation/uuid';

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

interface AccessRow {
  id: string;
  type: 'direct' | 'group';
  group_id: string | null;
  user_low: string | null;
  user_high: string | null;
  last_seq: string;
  visibility: 'public' | 'private' | null;
  member_user: string | null;
  left_seq: string | null;
  last_read_seq: string | null;
  last_delivered_seq: string | null;
}

/**
 * Resolves `{conversationID}` (a conversation id, a group id, or for a direct conversation the other
 * user's id) and authorises the caller in one query. Non-participants get FORBIDDEN, or NOT_FOUND for
 * private groups, never the conversation.
 */
@Injectable()
export class ConversationAccessService {
  constructor(private readonly dataSource: DataSource) {}

  /** Returns null only for a peer user with whom no conversation exists yet. */
  async resolve(userId: string, ref: string): Promise<ConversationAccess | null> {
    assertUuid(ref, 'conversationID');
    const id = ref.toLowerCase();
    const rows: AccessRow[] = await this.dataSource.query(
      `SELECT c.id, c.type, c.group_id, c.user_low, c.user_high, c.last_seq, g.visibility,
              m.user_id AS member_user, m.left_seq, m.last_read_seq, m.last_delivered_seq
         FROM conversations c
         LEFT JOIN groups g ON g.id = c.group_id
         LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
        WHERE c.id = $1
           OR c.group_id = $1
           OR (c.type = 'direct' AND c.user_low = LEAST($1::uuid, $2::uuid) AND c.user_high = GREATEST($1::uuid, $2::uuid))
        LIMIT 1`,
      [id, userId],
    );
    const row = rows[0];
    if (!row) {
      if (id === userId.toLowerCase()) {
        throw AppError.validation('There is no conversation with yourself');
      }
      const users: unknown[] = await this.dataSource.query('SELECT 1 FROM users WHERE id = $1', [
        id,
      ]);
      if (users.length) {
        return null;
      }
      throw AppError.notFound('Conversation');
    }
    if (!row.member_user) {
      if (row.type === 'group' && row.visibility === 'private') {
        throw AppError.notFound('Conversation');
      }
      throw AppError.forbidden('You are not a participant of this conversation');
    }
    const lastSeq = Number(row.last_seq);
    const leftSeq = row.left_seq === null ? null : Number(row.left_seq);
    return {
      conversationId: row.id,
      type: row.type,
      groupId: row.group_id,
      peerId:
        row.type === 'direct' ? (row.user_low === userId ? row.user_high : row.user_low) : null,
      visibleSeq: leftSeq === null ? lastSeq : Math.min(lastSeq, leftSeq),
      lastReadSeq: Number(row.last_read_seq ?? 0),
      lastDeliveredSeq: Number(row.last_delivered_seq ?? 0),
      active: leftSeq === null,
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
