import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import type { GroupMembership, GroupRole } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { ConversationMembershipService } from '../messaging/conversation-membership.service';
import { GROUP_EVENTS, type GroupMemberChangedEvent } from './groups.events';
import { GroupsRepository, toMembership, type GroupRow } from './groups.repository';

export type PendingGroupEvent = { name: (typeof GROUP_EVENTS)[keyof typeof GROUP_EVENTS] } & {
  payload: GroupMemberChangedEvent;
};

/**
 * The steps every membership write is made of, shared by GroupMembershipService (join, leave) and
 * GroupAdminService (create, add, remove). `group_members` and the group's conversation participants
 * change in the same transaction, through ConversationMembershipService.
 *
 * Every write that changes membership locks the group row first (`lock`), then touches
 * `group_members`, then the conversation: one lock order, so these writes never deadlock each other,
 * `member_count` stays exact and the one-owner rule (also a unique index) is never tested by a race.
 * Domain events (GROUP_EVENTS) are published only after commit (`publish`).
 */
@Injectable()
export class GroupMembershipChanges {
  private readonly logger = new Logger(GroupMembershipChanges.name);

  constructor(
    private readonly groups: GroupsRepository,
    private readonly conversations: ConversationMembershipService,
    private readonly events: EventEmitter2,
  ) {}

  /** Locks the group row for the rest of the transaction (first lock of every membership write). */
  async lock(em: EntityManager, groupId: string): Promise<GroupRow> {
    const group = await this.groups.lock(em, groupId);
    if (!group) {
      throw AppError.notFound('Group');
    }
    return group;
  }

  async membership(
    em: EntityManager,
    groupId: string,
    userId: string,
  ): Promise<GroupMembership | null> {
    const row = await this.groups.findMembership(em, groupId, userId);
    return row ? toMembership(row) : null;
  }

  /**
   * Inserts the membership, counts it and makes the user a conversation participant. A membership
   * that already existed is returned with no event.
   */
  async add(
    em: EntityManager,
    group: GroupRow,
    userId: string,
    role: GroupRole,
  ): Promise<{ membership: GroupMembership; pending: PendingGroupEvent | null }> {
    const inserted = await this.groups.insertMember(em, group.id, userId, role);
    if (!inserted) {
      const existing = await this.membership(em, group.id, userId);
      if (!existing) {
        throw new Error(`membership of ${userId} in ${group.id} vanished during insert`);
      }
      return { membership: existing, pending: null };
    }
    await this.groups.addToMemberCount(em, group.id, 1);
    await this.conversations.addParticipant(em, group.conversation_id, userId);
    return {
      membership: toMembership(inserted),
      pending: await this.event(em, GROUP_EVENTS.memberJoined, group, userId),
    };
  }

  /** Deletes the membership, uncounts it and ends conversation participation; null if none. */
  async remove(
    em: EntityManager,
    group: GroupRow,
    userId: string,
  ): Promise<{ role: GroupRole } | null> {
    const removed = await this.groups.deleteMember(em, group.id, userId);
    if (!removed) {
      return null;
    }
    await this.groups.addToMemberCount(em, group.id, -1);
    await this.conversations.removeParticipant(em, group.conversation_id, userId);
    return removed;
  }

  /** The member_joined / member_left event with the members as they are now in the transaction. */
  async event(
    em: EntityManager,
    name: PendingGroupEvent['name'],
    group: Pick<GroupRow, 'id' | 'conversation_id'>,
    userId: string,
  ): Promise<PendingGroupEvent> {
    return {
      name,
      payload: {
        groupId: group.id,
        conversationId: group.conversation_id,
        userId,
        memberIds: await this.groups.memberIds(em, group.id),
      },
    };
  }

  /** After commit: a failing subscriber must not turn a committed change into an error response. */
  publish(pending: PendingGroupEvent | null): void {
    if (!pending) {
      return;
    }
    this.conversations.participantsChanged(pending.payload);
    try {
      this.events.emit(pending.name, pending.payload);
    } catch (error) {
      this.logger.error(
        `A ${pending.name} subscriber failed for group ${pending.payload.groupId}`,
        error instanceof Error ? error.stack : String(error),
      );
    }
  }
}
