import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Group, GroupMembership, GroupVisibility } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { assertUuid } from '../common/validation/uuid';
import { ConversationMembershipService } from '../messaging/conversation-membership.service';
import { GROUP_EVENTS } from './groups.events';
import { GroupMembershipChanges, type PendingGroupEvent } from './group-membership-changes';
import { GroupsRepository, toGroup, toMembership, type GroupRow } from './groups.repository';

export interface RemoveMemberResult {
  groupID: string;
  userID: string;
  removed: true;
}

export interface CreateGroupInput {
  name: string;
  description?: string | null;
  visibility?: GroupVisibility;
}

/** Creating a group, and what its owner and admins do to other members: add, remove, change roles. */
@Injectable()
export class GroupAdminService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly changes: GroupMembershipChanges,
    private readonly conversations: ConversationMembershipService,
  ) {}

  /** Creates a group with its conversation; the caller becomes its owner and first member. */
  async create(userId: string, input: CreateGroupInput): Promise<Group> {
    const groupId = randomUUID();
    const description = input.description ? input.description : null;
    const { group, pending } = await this.groups.transaction(async (em) => {
      const conversationId = await this.conversations.createGroupConversation(em, groupId);
      const row = await this.groups.insertGroup(em, {
        id: groupId,
        name: input.name,
        description,
        visibility: input.visibility ?? 'public',
        createdBy: userId,
        conversationId,
      });
      // member_count already counts the owner (insertGroup), so not changes.add.
      await this.groups.insertMember(em, groupId, userId, 'owner');
      await this.conversations.addParticipant(em, conversationId, userId);
      const event: PendingGroupEvent = {
        name: GROUP_EVENTS.memberJoined,
        payload: { groupId, conversationId, userId, memberIds: [userId] },
      };
      return { group: toGroup(row), pending: event };
    });
    this.changes.publish(pending);
    return group;
  }

  /**
   * An owner or admin adds a user (the only way into a private group). `created` is false when the
   * user already was a member: their membership is returned unchanged and no event is published.
   */
  async addMember(
    actorId: string,
    groupId: string,
    targetId: string,
  ): Promise<{ membership: GroupMembership; created: boolean }> {
    assertUuid(groupId, 'groupID');
    assertUuid(targetId, 'userID');
    const { membership, pending } = await this.groups.transaction(async (em) => {
      const group = await this.changes.lock(em, groupId);
      await this.requireManager(em, group, actorId, 'add members');
      const existing = await this.changes.membership(em, groupId, targetId);
      if (existing) {
        return { membership: existing, pending: null };
      }
      if (!(await this.groups.userExists(em, targetId))) {
        throw AppError.notFound('User');
      }
      return this.changes.add(em, group, targetId, 'member');
    });
    this.changes.publish(pending);
    return { membership, created: pending !== null };
  }

  /**
   * An owner or admin removes a member. An admin may remove only plain members; the owner anyone
   * but themself (leaving is `leave`). FORBIDDEN otherwise; NOT_FOUND when the target is not a member.
   */
  async removeMember(
    actorId: string,
    groupId: string,
    targetId: string,
  ): Promise<RemoveMemberResult> {
    assertUuid(groupId, 'groupID');
    assertUuid(targetId, 'userID');
    const { result, pending } = await this.groups.transaction(async (em) => {
      const group = await this.changes.lock(em, groupId);
      const actorRole = await this.requireManager(em, group, actorId, 'remove members');
      if (targetId === actorId) {
        throw AppError.forbidden('You cannot remove yourself: leave the group instead');
      }
      const target = await this.changes.membership(em, groupId, targetId);
      if (!target) {
        throw AppError.notFound('Member');
      }
      if (target.role === 'owner' || (target.role === 'admin' && actorRole !== 'owner')) {
        throw AppError.forbidden('An admin cannot remove the owner or another admin');
      }
      await this.changes.remove(em, group, targetId);
      return {
        result: { groupID: groupId, userID: targetId, removed: true as const },
        pending: await this.changes.event(em, GROUP_EVENTS.memberLeft, group, targetId),
      };
    });
    this.changes.publish(pending);
    return result;
  }

  /**
   * The owner makes a member an admin or an admin a member. The owner's own role cannot change
   * (FORBIDDEN): ownership passes on only when the owner leaves.
   */
  async updateRole(
    actorId: string,
    groupId: string,
    targetId: string,
    role: 'admin' | 'member',
  ): Promise<GroupMembership> {
    assertUuid(groupId, 'groupID');
    assertUuid(targetId, 'userID');
    return this.groups.transaction(async (em) => {
      const group = await this.changes.lock(em, groupId);
      const actorRole = await this.requireManager(em, group, actorId, 'change roles');
      if (actorRole !== 'owner') {
        throw AppError.forbidden('Only the owner can change member roles');
      }
      if (targetId === actorId) {
        throw AppError.forbidden(
          "The owner's role cannot be changed: ownership passes on when the owner leaves",
        );
      }
      const row = await this.groups.updateRole(em, groupId, targetId, role);
      if (!row) {
        throw AppError.notFound('Member');
      }
      return toMembership(row);
    });
  }

  /**
   * The actor's role when it is owner or admin. A non-member of a private group gets NOT_FOUND (the
   * group is invisible to them); anyone else without the right gets FORBIDDEN.
   */
  private async requireManager(
    em: EntityManager,
    group: GroupRow,
    actorId: string,
    action: string,
  ): Promise<'owner' | 'admin'> {
    const membership = await this.changes.membership(em, group.id, actorId);
    if (!membership) {
      if (group.visibility === 'private') {
        throw AppError.notFound('Group');
      }
      throw AppError.forbidden(`Only the group's owner or an admin can ${action}`);
    }
    if (membership.role === 'member') {
      throw AppError.forbidden(`Only the group's owner or an admin can ${action}`);
    }
    return membership.role;
  }
}
