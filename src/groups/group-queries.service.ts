import { Injectable } from '@nestjs/common';
import type { Group, GroupMember, GroupRole, Pagination } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/http/keyset-cursor';
import { assertUuid } from '../common/validation/uuid';
import { PresenceService } from '../presence/presence.service';
import { GroupsRepository, toGroup } from './groups.repository';

export interface MyGroup extends Group {
  /** The caller's role in the group. */
  role: GroupRole;
}

/** Reads of groups and their members; a private group is invisible (NOT_FOUND) to non-members. */
@Injectable()
export class GroupQueriesService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly presence: PresenceService,
  ) {}

  /** The caller's current groups, most recently joined first, each with the caller's role. */
  async listMine(userId: string): Promise<MyGroup[]> {
    const rows = await this.groups.listForMember(userId);
    return rows.map((row) => ({ ...toGroup(row), role: row.role }));
  }

  /** One group. A private group is NOT_FOUND for anyone but its members (never FORBIDDEN). */
  async get(userId: string, groupId: string): Promise<Group> {
    assertUuid(groupId, 'groupID');
    const row = await this.groups.findWithRole(groupId, userId);
    if (!row || (row.visibility === 'private' && !row.role)) {
      throw AppError.notFound('Group');
    }
    return toGroup(row);
  }

  /**
   * Members by seniority (`joined_at`, then user id), keyset-paged with an opaque cursor. Anyone
   * signed in may list a public group's members; a private group's members only by its members.
   */
  async listMembers(
    userId: string,
    groupId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ members: GroupMember[]; pagination: Pagination }> {
    assertUuid(groupId, 'groupID');
    const after = cursor ? decodeKeysetCursor(cursor) : null;
    const group = await this.groups.access(groupId, userId);
    if (!group || (group.visibility === 'private' && !group.is_member)) {
      throw AppError.notFound('Group');
    }
    const rows = await this.groups.memberPage(groupId, limit + 1, after);
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const live = await this.presence.getPresence(page.map((row) => row.user_id));
    const last = page[page.length - 1];
    return {
      members: page.map((row) => ({
        userID: row.user_id,
        username: row.username,
        role: row.role,
        status: live.get(row.user_id)?.status ?? 'offline',
        joinedAt: row.joined_at.toISOString(),
      })),
      pagination: {
        limit,
        hasMore,
        nextCursor: hasMore && last ? encodeKeysetCursor(last.joined_at_exact, last.user_id) : null,
      },
    };
  }
}
