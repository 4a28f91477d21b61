import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConversationCache } from './conversation-cache';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';
import { ConversationsRepository } from './repositories/conversations.repository';

/**
 * The Messaging module's own writes to conversations and their participants, offered to the Groups
 * module so a group's membership and its conversation change in one transaction (pass its manager).
 */
@Injectable()
export class ConversationMembershipService {
  constructor(
    private readonly cache: ConversationCache,
    private readonly conversations: ConversationsRepository,
    private readonly members: ConversationMembersRepository,
  ) {}

  /** After the group's transaction committed: cached access and participant lists are stale. */
  participantsChanged(change: { conversationId: string; groupId: string; userId: string }): void {
    this.cache.onMembershipChanged(change);
  }

  /** Creates the conversation of a new group. */
  async createGroupConversation(manager: EntityManager, groupId: string): Promise<string> {
    return this.conversations.createGroupConversation(manager, groupId);
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
    await this.members.addParticipant(manager, conversationId, userId);
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
    await this.members.removeParticipant(manager, conversationId, userId);
  }
}
