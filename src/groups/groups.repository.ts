import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Group, GroupMembership, GroupRole, GroupVisibility } from '../../libs/contracts/src';
import { exactTimestampSql } from '../common/http/keyset-cursor';

/** joined_at with PostgreSQL's full microsecond precision: a millisecond cursor could skip members. */
const EXACT_TS_SQL = exactTimestampSql('m.joined_at');

export interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  visibility: GroupVisibility;
  created_by: string;
  conversation_id: string;
  member_count: number;
  created_at: Date;
}

export interface MembershipRow {
  group_id: string;
  user_id: string;
  role: GroupRole;
  joined_at: Date;
}

export interface MemberPageRow {
  user_id: string;
  username: string;
  role: GroupRole;
  joined_at: Date;
  /** `joined_at` to the microsecond, for the cursor. */
  joined_at_exact: string;
}

export interface NewGroup {
  id: string;
  name: string;
  description: string | null;
  visibility: GroupVisibility;
  createdBy: string;
  conversationId: string;
}

export function toGroup(row: GroupRow): Group {
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

export function toMembership(row: MembershipRow): GroupMembership {
  return {
    groupID: row.group_id,
    userID: row.user_id,
    role: row.role,
    joinedAt: row.joined_at.toISOString(),
  };
}

/** TypeORM answers UPDATE/DELETE ... RETURNING with `[rows, affected]`, SELECT/INSERT with the rows. */
type Returned<T> = [T[], number];

/**
 * The only reader and writer of `groups` and `group_members`. Methods taking an EntityManager run in
 * the caller's transaction (membership writes lock the group row first, see GroupMembershipChanges).
 */
@Injectable()
export class GroupsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** A new group with one member counted (its creator, inserted next in the same transaction). */
  async insertGroup(em: EntityManager, group: NewGroup): Promise<GroupRow> {
    const [row] = await em.query<GroupRow[]>(
      `INSERT INTO groups (id, name, description, visibility, created_by, conversation_id, member_count)
       VALUES ($1, $2, $3, $4, $5, $6, 1)
       RETURNING *`,
      [
        group.id,
        group.name,
        group.description,
        group.visibility,
        group.createdBy,
        group.conversationId,
      ],
    );
    if (!row) {
      throw new Error(`INSERT of group ${group.id} returned no row`);
    }
    return row;
  }

  /** The user's groups with their role in each, most recently joined first. */
  async listForMember(userId: string): Promise<(GroupRow & { role: GroupRole })[]> {
    return this.dataSource.query<(GroupRow & { role: GroupRole })[]>(
      `SELECT g.*, m.role
         FROM group_members m
         JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at DESC, g.id`,
      [userId],
    );
  }

  /** The group with the user's role in it (null when not a member); undefined when no such group. */
  async findWithRole(
    groupId: string,
    userId: string,
  ): Promise<(GroupRow & { role: GroupRole | null }) | undefined> {
    const [row] = await this.dataSource.query<(GroupRow & { role: GroupRole | null })[]>(
      `SELECT g.*, m.role
         FROM groups g
         LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = $2
        WHERE g.id = $1`,
      [groupId, userId],
    );
    return row;
  }

  /** Visibility and whether the user is a member; undefined when no such group. */
  async access(
    groupId: string,
    userId: string,
  ): Promise<{ visibility: GroupVisibility; is_member: boolean } | undefined> {
    const [row] = await this.dataSource.query<
      { visibility: GroupVisibility; is_member: boolean }[]
    >(
      `SELECT g.visibility,
              EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = $2) AS is_member
         FROM groups g
        WHERE g.id = $1`,
      [groupId, userId],
    );
    return row;
  }

  /** Up to `limit` members by seniority (joined_at, user id), after the keyset position if any. */
  async memberPage(
    groupId: string,
    limit: number,
    after: { at: string; id: string } | null,
  ): Promise<MemberPageRow[]> {
    const params: unknown[] = [groupId, limit];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = 'AND (m.joined_at, m.user_id) > ($3::timestamptz, $4::uuid)';
    }
    return this.dataSource.query<MemberPageRow[]>(
      `SELECT m.user_id, u.username, m.role, m.joined_at, ${EXACT_TS_SQL} AS joined_at_exact
         FROM group_members m
         JOIN users u ON u.id = m.user_id
        WHERE m.group_id = $1 ${keyset}
        ORDER BY m.joined_at, m.user_id
        LIMIT $2`,
      params,
    );
  }

  /** Locks the group row for the rest of the transaction; undefined when no such group. */
  async lock(em: EntityManager, groupId: string): Promise<GroupRow | undefined> {
    const [group] = await em.query<GroupRow[]>(`SELECT * FROM groups WHERE id = $1 FOR UPDATE`, [
      groupId,
    ]);
    return group;
  }

  async findMembership(
    em: EntityManager,
    groupId: string,
    userId: string,
  ): Promise<MembershipRow | undefined> {
    const [row] = await em.query<MembershipRow[]>(
      `SELECT group_id, user_id, role, joined_at FROM group_members WHERE group_id = $1 AND user_id = $2`,
      [groupId, userId],
    );
    return row;
  }

  async userExists(em: EntityManager, userId: string): Promise<boolean> {
    const [user] = await em.query<unknown[]>(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    return user !== undefined;
  }

  /**
   * Inserts a membership; undefined when it already existed. ON CONFLICT keeps a concurrent duplicate
   * from counting twice even if a caller forgot the group lock.
   */
  async insertMember(
    em: EntityManager,
    groupId: string,
    userId: string,
    role: GroupRole,
  ): Promise<MembershipRow | undefined> {
    const [inserted] = await em.query<MembershipRow[]>(
      `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (group_id, user_id) DO NOTHING
       RETURNING group_id, user_id, role, joined_at`,
      [groupId, userId, role],
    );
    return inserted;
  }

  /** Deletes a membership and returns the role it had; undefined when there was none. */
  async deleteMember(
    em: EntityManager,
    groupId: string,
    userId: string,
  ): Promise<{ role: GroupRole } | undefined> {
    const [rows] = await em.query<Returned<{ role: GroupRole }>>(
      `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING role`,
      [groupId, userId],
    );
    return rows[0];
  }

  async addToMemberCount(em: EntityManager, groupId: string, delta: 1 | -1): Promise<void> {
    await em.query(`UPDATE groups SET member_count = member_count + $2 WHERE id = $1`, [
      groupId,
      delta,
    ]);
  }

  /** Makes the longest-standing member the owner; their id, or null when the group is empty. */
  async promoteSeniorToOwner(em: EntityManager, groupId: string): Promise<string | null> {
    const [heir] = await em.query<Returned<{ user_id: string }>>(
      `UPDATE group_members SET role = 'owner'
        WHERE group_id = $1
          AND user_id = (SELECT user_id FROM group_members WHERE group_id = $1
                          ORDER BY joined_at, user_id LIMIT 1)
       RETURNING user_id`,
      [groupId],
    );
    return heir[0]?.user_id ?? null;
  }

  /** Sets a member's role; undefined when the user is not a member. */
  async updateRole(
    em: EntityManager,
    groupId: string,
    userId: string,
    role: GroupRole,
  ): Promise<MembershipRow | undefined> {
    const [rows] = await em.query<Returned<MembershipRow>>(
      `UPDATE group_members SET role = $3
        WHERE group_id = $1 AND user_id = $2
       RETURNING group_id, user_id, role, joined_at`,
      [groupId, userId, role],
    );
    return rows[0];
  }

  async memberIds(em: EntityManager, groupId: string): Promise<string[]> {
    const rows = await em.query<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = $1`,
      [groupId],
    );
    return rows.map((row) => row.user_id);
  }
}
