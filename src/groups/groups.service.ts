import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  Group,
  GroupMember,
  GroupMembership,
  GroupRole,
  GroupVisibility,
  LeaveGroupResult,
  Pagination,
} from '../../libs/contracts/src';
import { AppError, ErrorCode } from '../common/errors/app-error';
import {
  decodeKeysetCursor,
  encodeKeysetCursor,
  exactTimestampSql,
} from '../common/http/keyset-cursor';
import { assertUuid } from '../common/validation/uuid';
import { ConversationMembershipService } from '../messaging/conversation-membership.service';
import { PresenceService } from '../presence/presence.service';
import { GROUP_EVENTS, type GroupMemberChangedEvent } from './groups.events';

/** joined_at with PostgreSQL's full microsecond precision: a millisecond cursor could skip members. */
const EXACT_TS_SQL = exactTimestampSql('m.joined_at');

interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  visibility: GroupVisibility;
  created_by: string;
  conversation_id: string;
  member_count: number;
  created_at: Date;
}

interface MembershipRow {
  group_id: string;
  user_id: string;
  role: GroupRole;
  joined_at: Date;
}

interface MemberPageRow {
  user_id: string;
  username: string;
  role: GroupRole;
  joined_at: Date;
  /** `joined_at` to the microsecond, for the cursor. */
  joined_at_exact: string;
}

export interface MyGroup extends Group {
  /** The caller's role in the group. */
  role: GroupRole;
}

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

type PendingEvent = { name: (typeof GROUP_EVENTS)[keyof typeof GROUP_EVENTS] } & {
  payload: GroupMemberChangedEvent;
};

function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    visibility: row.visibility,
    createdBy: row.created_by,
    memberCount: row.member_count,
    conversationID: row.conversation_id,
    createdAt: row.created_at.toISOString(),
  };
}

function toMembership(row: MembershipRow): GroupMembership {
  return {
    groupID: row.group_id,
    userID: row.user_id,
    role: row.role,
    joinedAt: row.joined_at.toISOString(),
  };
}

/**
 * Groups and their membership. The only writer of `groups` and `group_members`; the group's
 * conversation participants change in the same transaction through ConversationMembershipService.
 *
 * Every write that changes membership locks the group row first (`SELECT ... FOR UPDATE`), then
 * touches `group_members`, then the conversation: one lock order, so these writes never deadlock each
 * other, `member_count` stays exact and the one-owner rule (also a unique index) is never tested by a
 * race. Domain events (GROUP_EVENTS) are published only after commit.
 */
@Injectable()
export class GroupsService {
  private readonly logger = new Logger(GroupsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationMembershipService,
    private readonly presence: PresenceService,
    private readonly events: EventEmitter2,
  ) {}

  /** Creates a group with its conversation; the caller becomes its owner and first member. */
  async create(userId: string, input: CreateGroupInput): Promise<Group> {
    const groupId = randomUUID();
    const description = input.description ? input.description : null;
    const { group, pending } = await this.dataSource.transaction(async (em) => {
      const conversationId = await this.conversations.createGroupConversation(em, groupId);
      const [row] = await em.query<GroupRow[]>(
        `INSERT INTO groups (id, name, description, visibility, created_by, conversation_id, member_count)
         VALUES ($1, $2, $3, $4, $5, $6, 1)
         RETURNING *`,
        [groupId, input.name, description, input.visibility ?? 'public', userId, conversationId],
      );
      await em.query(
        `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'owner')`,
        [groupId, userId],
      );
      await this.conversations.addParticipant(em, conversationId, userId);
      const event: PendingEvent = {
        name: GROUP_EVENTS.memberJoined,
        payload: { groupId, conversationId, userId, memberIds: [userId] },
      };
      return { group: toGroup(row), pending: event };
    });
    this.publish(pending);
    return group;
  }

  /** The caller's current groups, most recently joined first, each with the caller's role. */
  async listMine(userId: string): Promise<MyGroup[]> {
    const rows = await this.dataSource.query<(GroupRow & { role: GroupRole })[]>(
      `SELECT g.*, m.role
         FROM group_members m
         JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at DESC, g.id`,
      [userId],
    );
    return rows.map((row) => ({ ...toGroup(row), role: row.role }));
  }

  /** One group. A private group is NOT_FOUND for anyone but its members (never FORBIDDEN). */
  async get(userId: string, groupId: string): Promise<Group> {
    assertUuid(groupId, 'groupID');
    const [row] = await this.dataSource.query<(GroupRow & { role: GroupRole | null })[]>(
      `SELECT g.*, m.role
         FROM groups g
         LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = $2
        WHERE g.id = $1`,
      [groupId, userId],
    );
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
    const [group] = await this.dataSource.query<
      { visibility: GroupVisibility; is_member: boolean }[]
    >(
      `SELECT g.visibility,
              EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = $2) AS is_member
         FROM groups g
        WHERE g.id = $1`,
      [groupId, userId],
    );
    if (!group || (group.visibility === 'private' && !group.is_member)) {
      throw AppError.notFound('Group');
    }
    const params: unknown[] = [groupId, limit + 1];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = 'AND (m.joined_at, m.user_id) > ($3::timestamptz, $4::uuid)';
    }
    const rows = await this.dataSource.query<MemberPageRow[]>(
      `SELECT m.user_id, u.username, m.role, m.joined_at, ${EXACT_TS_SQL} AS joined_at_exact
         FROM group_members m
         JOIN users u ON u.id = m.user_id
        WHERE m.group_id = $1 ${keyset}
        ORDER BY m.joined_at, m.user_id
        LIMIT $2`,
      params,
    );
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

  /**
   * Joins a public group. Idempotent: an existing member gets their membership back and no event is
   * published. A private group is FORBIDDEN to a non-member, as the product contract states for this
   * route (reads of a private group answer NOT_FOUND). Members are added to private groups by an owner
   * or admin. Whoever joins a group that everyone has left
   * becomes its owner. Used by `POST /groups/{id}/join` and the socket event `join_group`.
   */
  async join(userId: string, groupId: string): Promise<GroupMembership> {
    assertUuid(groupId, 'groupID');
    const { membership, pending } = await this.dataSource.transaction(async (em) => {
      const group = await this.lockGroup(em, groupId);
      const existing = await this.findMembership(em, groupId, userId);
      if (existing) {
        return { membership: existing, pending: null };
      }
      if (group.visibility === 'private') {
        throw AppError.forbidden(
          'This group is private: an owner or admin of it has to add you as a member',
        );
      }
      const role: GroupRole = group.member_count === 0 ? 'owner' : 'member';
      return this.insertMember(em, group, userId, role);
    });
    this.publish(pending);
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
    const { result, pending } = await this.dataSource.transaction(async (em) => {
      const group = await this.lockGroup(em, groupId);
      const removed = await this.deleteMember(em, group, userId);
      if (!removed) {
        throw group.visibility === 'private'
          ? AppError.notFound('Group')
          : new AppError(ErrorCode.NOT_FOUND, 'You are not a member of this group');
      }
      let newOwnerID: string | null = null;
      if (removed.role === 'owner') {
        const [heir] = await em.query<[{ user_id: string }[], number]>(
          `UPDATE group_members SET role = 'owner'
            WHERE group_id = $1
              AND user_id = (SELECT user_id FROM group_members WHERE group_id = $1
                              ORDER BY joined_at, user_id LIMIT 1)
           RETURNING user_id`,
          [groupId],
        );
        newOwnerID = heir[0]?.user_id ?? null;
      }
      return {
        result: { groupID: groupId, userID: userId, left: true as const, newOwnerID },
        pending: await this.leftEvent(em, group, userId),
      };
    });
    this.publish(pending);
    return result;
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
    const { membership, pending } = await this.dataSource.transaction(async (em) => {
      const group = await this.lockGroup(em, groupId);
      await this.requireManager(em, group, actorId, 'add members');
      const existing = await this.findMembership(em, groupId, targetId);
      if (existing) {
        return { membership: existing, pending: null };
      }
      const [user] = await em.query<unknown[]>(`SELECT 1 FROM users WHERE id = $1`, [targetId]);
      if (!user) {
        throw AppError.notFound('User');
      }
      return this.insertMember(em, group, targetId, 'member');
    });
    this.publish(pending);
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
    const { result, pending } = await this.dataSource.transaction(async (em) => {
      const group = await this.lockGroup(em, groupId);
      const actorRole = await this.requireManager(em, group, actorId, 'remove members');
      if (targetId === actorId) {
        throw AppError.forbidden('You cannot remove yourself: leave the group instead');
      }
      const target = await this.findMembership(em, groupId, targetId);
      if (!target) {
        throw AppError.notFound('Member');
      }
      if (target.role === 'owner' || (target.role === 'admin' && actorRole !== 'owner')) {
        throw AppError.forbidden('An admin cannot remove the owner or another admin');
      }
      await this.deleteMember(em, group, targetId);
      return {
        result: { groupID: groupId, userID: targetId, removed: true as const },
        pending: await this.leftEvent(em, group, targetId),
      };
    });
    this.publish(pending);
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
    return this.dataSource.transaction(async (em) => {
      const group = await this.lockGroup(em, groupId);
      const actorRole = await this.requireManager(em, group, actorId, 'change roles');
      if (actorRole !== 'owner') {
        throw AppError.forbidden('Only the owner can change member roles');
      }
      if (targetId === actorId) {
        throw AppError.forbidden(
          "The owner's role cannot be changed: ownership passes on when the owner leaves",
        );
      }
      const [rows] = await em.query<[MembershipRow[], number]>(
        `UPDATE group_members SET role = $3
          WHERE group_id = $1 AND user_id = $2
         RETURNING group_id, user_id, role, joined_at`,
        [groupId, targetId, role],
      );
      if (!rows[0]) {
        throw AppError.notFound('Member');
      }
      return toMembership(rows[0]);
    });
  }

  /** Locks the group row for the rest of the transaction (first lock of every membership write). */
  private async lockGroup(em: EntityManager, groupId: string): Promise<GroupRow> {
    const [group] = await em.query<GroupRow[]>(`SELECT * FROM groups WHERE id = $1 FOR UPDATE`, [
      groupId,
    ]);
    if (!group) {
      throw AppError.notFound('Group');
    }
    return group;
  }

  private async findMembership(
    em: EntityManager,
    groupId: string,
    userId: string,
  ): Promise<GroupMembership | null> {
    const [row] = await em.query<MembershipRow[]>(
      `SELECT group_id, user_id, role, joined_at FROM group_members WHERE group_id = $1 AND user_id = $2`,
      [groupId, userId],
    );
    return row ? toMembership(row) : null;
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
    const membership = await this.findMembership(em, group.id, actorId);
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

  /**
   * Inserts the membership, counts it and makes the user a conversation participant. ON CONFLICT
   * keeps a concurrent duplicate from counting twice even if a caller forgot the group lock.
   */
  private async insertMember(
    em: EntityManager,
    group: GroupRow,
    userId: string,
    role: GroupRole,
  ): Promise<{ membership: GroupMembership; pending: PendingEvent | null }> {
    const [inserted] = await em.query<MembershipRow[]>(
      `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (group_id, user_id) DO NOTHING
       RETURNING group_id, user_id, role, joined_at`,
      [group.id, userId, role],
    );
    if (!inserted) {
      const existing = await this.findMembership(em, group.id, userId);
      if (!existing) {
        throw new Error(`membership of ${userId} in ${group.id} vanished during insert`);
      }
      return { membership: existing, pending: null };
    }
    await em.query(`UPDATE groups SET member_count = member_count + 1 WHERE id = $1`, [group.id]);
    await this.conversations.addParticipant(em, group.conversation_id, userId);
    return {
      membership: toMembership(inserted),
      pending: {
        name: GROUP_EVENTS.memberJoined,
        payload: {
          groupId: group.id,
          conversationId: group.conversation_id,
          userId,
          memberIds: await this.memberIds(em, group.id),
        },
      },
    };
  }

  /** Deletes the membership, uncounts it and ends conversation participation; null if none. */
  private async deleteMember(
    em: EntityManager,
    group: GroupRow,
    userId: string,
  ): Promise<{ role: GroupRole } | null> {
    const [rows] = await em.query<[{ role: GroupRole }[], number]>(
      `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING role`,
      [group.id, userId],
    );
    if (!rows[0]) {
      return null;
    }
    await em.query(`UPDATE groups SET member_count = member_count - 1 WHERE id = $1`, [group.id]);
    await this.conversations.removeParticipant(em, group.conversation_id, userId);
    return rows[0];
  }

  private async leftEvent(
    em: EntityManager,
    group: GroupRow,
    userId: string,
  ): Promise<PendingEvent> {
    return {
      name: GROUP_EVENTS.memberLeft,
      payload: {
        groupId: group.id,
        conversationId: group.conversation_id,
        userId,
        memberIds: await this.memberIds(em, group.id),
      },
    };
  }

  private async memberIds(em: EntityManager, groupId: string): Promise<string[]> {
    const rows = await em.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = $1`,
      [groupId],
    );
    return rows.map((row) => row.user_id);
  }

  /** After commit: a failing subscriber must not turn a committed change into an error response. */
  private publish(pending: PendingEvent | null): void {
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
