import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConversationCache } from './conversation-cache';
import { ConversationEntity } from './entities/conversation.entity';

/**
 * The Messaging module's own writes to conversations and their participants, offered to the Groups
 * module so a group's membership and its conversation change in one transaction (pass its manager).
 */
@Injectable()
export class ConversationMembershipService {
  constructor(private readonly cache: ConversationCache) {}

  /** After the group's transaction committed: cached access and participant lists are stale. */
  participantsChanged(change: { conversationId: string; groupId: string; userId: string }): void {
    this.cache.onMembershipChanged(change);
  }

  /** Creates the conversation of a new group. */
  async createGroupConversation(manager: EntityManager, groupId: string): Promise<string> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(ConversationEntity)
      .values({ type: 'group', groupId, lastSeq: 0 })
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[])[0].id;
  }

  /**
   * Makes `userId` an active participant. A new (or returning) member starts with both markers at the
   * conversation's current last seq: earlier history is readable but not "unread" and not pushed again.
   */
  async addParticipant(
    manager: EntityManager,
    conversationId: string,
    userId: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO conversation_members (conversation_id, user_id, last_read_seq, last_delivered_seq, left_seq, joined_at)
       SELECT c.id, $2, c.last_seq, c.last_seq, NULL, now() FROM conversations c WHERE c.id = $1
       ON CONFLICT (conversation_id, user_id) DO UPDATE
         SET left_seq = NULL,
             joined_at = CASE WHEN conversation_members.left_seq IS NULL THEN conversation_members.joined_at ELSE now() END,
             last_read_seq = GREATEST(conversation_members.last_read_seq, EXCLUDED.last_read_seq),
             last_delivered_seq = GREATEST(conversation_members.last_delivered_seq, EXCLUDED.last_delivered_seq)`,
      [conversationId, userId],
    );
  }

  /**
   * Ends `userId`'s participation: they keep read access up to the current last seq and receive
   * nothing after it. The conversation row is locked so no message can slip in between.
   */
  async removeParticipant(
    manager: EntityManager,
    conversationId: string,
    userId: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE conversation_members m SET left_seq = c.last_seq
         FROM (SELECT id, last_seq FROM conversations WHERE id = $1 FOR UPDATE) c
        WHERE m.conversation_id = c.id AND m.user_id = $2 AND m.left_seq IS NULL`,
      [conversationId, userId],
    );
  }
}
