import { Injectable } from '@nestjs/common';
import type { GroupMembership, GroupRole, LeaveGroupResult } from '../../libs/contracts/src';
import { AppError, ErrorCode } from '../common/errors/app-error';
import { assertUuid } from '../common/validation/uuid';
import { GROUP_EVENTS } from './groups.events';
import { GroupMembershipChanges } from './group-membership-changes';
import { GroupsRepository } from './groups.repository';

/** A user joining or leaving a group by themself (HTTP routes and socket events alike). */
@Injectable()
export class GroupMembershipService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly changes: GroupMembershipChanges,
  ) {}

  /**
   * Joins a public group. Idempotent: an existing member gets their membership back and no event is
   * published. A private group is FORBIDDEN to a non-member, as the product contract states for this
   * route (reads of a private group answer NOT_FOUND). Members are added to private groups by an owner
   * or admin. Whoever joins a group that everyone has left
   * becomes its owner. Used by `POST /groups/{id}/join` and the socket event `join_group`.
   */
  async join(userId: string, groupId: string): Promise<GroupMembership> {
    assertUuid(groupId, 'groupID');
    const { membership, pending } = await this.groups.transaction(async (em) => {
      const group = await this.changes.lock(em, groupId);
      const existing = await this.changes.membership(em, groupId, userId);
      if (existing) {
        return { membership: existing, pending: null };
      }
      if (group.visibility === 'private') {
        throw AppError.forbidden(
          'This group is private: an owner or admin of it has to add you as a member',
        );
      }
      const role: GroupRole = group.member_count === 0 ? 'owner' : 'member';
      return this.changes.add(em, group, userId, role);
    });
    this.changes.publish(pending);
    return membership;
  }

  /**
   * Leaves a group. NOT_FOUND when the group does not exist, or the caller is not a member (for a
   * private group the two are indistinguishable on purpose). When the owner leaves, the
   * longest-standing remaining member (earliest `joined_at`) becomes owner; when the last member
   * leaves the group stays, empty. Used by `DELETE /groups/{id}/leave` and the socket event
   * `leave_group`.
   */
  async leave(userId: string, groupId: string): Promise<LeaveGroupResult> {
    assertUuid(groupId, 'groupID');
    const { result, pending } = await this.groups.transaction(async (em) => {
      const group = await this.changes.lock(em, groupId);
      const removed = await this.changes.remove(em, group, userId);
      if (!removed) {
        throw group.visibility === 'private'
          ? AppError.notFound('Group')
          : new AppError(ErrorCode.NOT_FOUND, 'You are not a member of this group');
      }
      const newOwnerID =
        removed.role === 'owner' ? await this.groups.promoteSeniorToOwner(em, groupId) : null;
      return {
        result: { groupID: groupId, userID: userId, left: true as const, newOwnerID },
        pending: await this.changes.event(em, GROUP_EVENTS.memberLeft, group, userId),
      };
    });
    this.changes.publish(pending);
    return result;
  }
}
