import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { exactTimestampSql } from '../../common/http/keyset-cursor';
import { ConversationEntity, type ConversationKind } from '../entities/conversation.entity';
import { messageColumns, type MessageRow } from '../message-view';

/** A conversation found by any id the API accepts, with the caller's membership (if any). */
export interface ConversationAccessRecord {
  id: string;
  type: ConversationKind;
  groupId: string | null;
  userLow: string | null;
  userHigh: string | null;
  lastSeq: number;
  groupVisibility: 'public' | 'private' | null;
  /** Null: the caller was never a participant. */
  member: {
    leftSeq: number | null;
    lastReadSeq: number;
    lastDeliveredSeq: number;
  } | null;
}

/** A group's conversation, as a send needs it. */
export interface GroupConversationRecord {
  conversationId: string;
  visibility: string;
}

/** One entry of the caller's conversation list, newest activity first. */
export interface ConversationListEntry {
  conversationId: string;
  type: ConversationKind;
  groupId: string | null;
  version: number;
  /** The newest seq the caller may read. */
  visibleSeq: number;
  lastReadSeq: number;
  sortAt: Date;
  /** sortAt with microseconds, for the keyset cursor. */
  sortExact: string;
  groupName: string | null;
  groupVisibility: 'public' | 'private' | null;
  peerId: string | null;
  peerUsername: string | null;
  peerLastSeen: Date | null;
  /** The newest message the caller may read, if any. */
  lastMessage: MessageRow | null;
}

interface AccessRow {
  id: string;
  type: ConversationKind;
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

type ListRow = MessageRow & {
  c_id: string;
  c_type: ConversationKind;
  c_group_id: string | null;
  c_version: string;
  visible_seq: string;
  last_read_seq: string;
  sort_at: Date;
  sort_exact: string;
  g_name: string | null;
  g_visibility: 'public' | 'private' | null;
  peer_id: string | null;
  peer_username: string | null;
  peer_last_seen: Date | null;
};

/**
 * The only writer of `conversations`. Its reads join `groups` and `users` read-only: the access check
 * and the conversation list are one statement each, and the Groups module depends on this one.
 */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The newest seq of each conversation asked (ids not found are left out). */
  async lastSeqs(conversationIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ id: string; last_seq: string }[]>(
      'SELECT id, last_seq FROM conversations WHERE id = ANY($1::uuid[])',
      [conversationIds],
    );
    return new Map(rows.map((row) => [row.id, Number(row.last_seq)]));
  }

  /** `ref` is a conversation id, a group id, or the other user of a direct conversation. */
  async findAccess(userId: string, ref: string): Promise<ConversationAccessRecord | null> {
    return (await this.findAccesses([{ userId, ref }]))[0];
  }

  /**
   * findAccess for many (caller, ref) requests in ONE statement, answers in request order: the
   * receipts, reads and typing of a cold start (every conversation new to the process) would
   * otherwise cost one query each, all at once, holding every pool connection the commit needs.
   */
  async findAccesses(
    requests: readonly { userId: string; ref: string }[],
  ): Promise<(ConversationAccessRecord | null)[]> {
    if (!requests.length) {
      return [];
    }
    const rows: (AccessRow & { ord: string })[] = await this.dataSource.query(
      `SELECT r.ord, c.id, c.type, c.group_id, c.user_low, c.user_high, c.last_seq, g.visibility,
              m.user_id AS member_user, m.left_seq, m.last_read_seq, m.last_delivered_seq
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS r(ref, user_id, ord)
         JOIN LATERAL (
           SELECT c.id, c.type, c.group_id, c.user_low, c.user_high, c.last_seq
             FROM conversations c
            WHERE c.id = r.ref
               OR c.group_id = r.ref
               OR (c.type = 'direct' AND c.user_low = LEAST(r.ref, r.user_id) AND c.user_high = GREATEST(r.ref, r.user_id))
            LIMIT 1
         ) c ON true
         LEFT JOIN groups g ON g.id = c.group_id
         LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = r.user_id`,
      [requests.map((request) => request.ref), requests.map((request) => request.userId)],
    );
    const answers: (ConversationAccessRecord | null)[] = requests.map(() => null);
    for (const row of rows) {
      answers[Number(row.ord) - 1] = {
        id: row.id,
        type: row.type,
        groupId: row.group_id,
        userLow: row.user_low,
        userHigh: row.user_high,
        lastSeq: Number(row.last_seq),
        groupVisibility: row.visibility,
        member: row.member_user
          ? {
              leftSeq: row.left_seq === null ? null : Number(row.left_seq),
              lastReadSeq: Number(row.last_read_seq ?? 0),
              lastDeliveredSeq: Number(row.last_delivered_seq ?? 0),
            }
          : null,
      };
    }
    return answers;
  }

  /** Whether a user with this id exists (a peer with whom no conversation exists yet). */
  async userExists(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM users WHERE id = $1', [
      userId,
    ]);
    return rows.length > 0;
  }

  async findGroupConversation(groupId: string): Promise<GroupConversationRecord | null> {
    const rows: { conversation_id: string; visibility: string }[] = await this.dataSource.query(
      'SELECT conversation_id, visibility FROM groups WHERE id = $1',
      [groupId],
    );
    return rows[0]
      ? { conversationId: rows[0].conversation_id, visibility: rows[0].visibility }
      : null;
  }

  /**
   * The direct conversations of the pairs `"low:high"` (ids in order), each created with its two
   * members if needed, in ONE statement: a cold start resolves many new pairs at once. Pairs with an
   * unknown user are left out; a pair created concurrently by another statement is invisible to this
   * one's snapshot and comes back as null (ask again). Inserts run in (low, high) order, so two
   * statements never wait on each other's pairs in a cycle.
   */
  async findOrCreateDirects(pairs: readonly string[]): Promise<Map<string, string | null>> {
    const lows = pairs.map((pair) => pair.slice(0, pair.indexOf(':')));
    const highs = pairs.map((pair) => pair.slice(pair.indexOf(':') + 1));
    const rows: { low: string; high: string; id: string | null }[] = await this.dataSource.query(
      `WITH input AS (
              SELECT p.low, p.high FROM unnest($1::uuid[], $2::uuid[]) AS p(low, high)
               WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = p.low)
                 AND EXISTS (SELECT 1 FROM users u WHERE u.id = p.high)),
            created AS (
              INSERT INTO conversations (type, user_low, user_high)
              SELECT 'direct', i.low, i.high FROM input i ORDER BY i.low, i.high
              ON CONFLICT (user_low, user_high) WHERE type = 'direct' DO NOTHING
              RETURNING id, user_low, user_high),
            members AS (
              INSERT INTO conversation_members (conversation_id, user_id)
              SELECT c.id, u.id FROM created c, unnest(ARRAY[c.user_low, c.user_high]) AS u(id)
              ON CONFLICT (conversation_id, user_id) DO NOTHING)
       SELECT i.low, i.high,
              COALESCE(c.id, (SELECT x.id FROM conversations x
                               WHERE x.type = 'direct' AND x.user_low = i.low AND x.user_high = i.high)) AS id
         FROM input i LEFT JOIN created c ON c.user_low = i.low AND c.user_high = i.high`,
      [lows, highs],
    );
    return new Map(rows.map((row) => [`${row.low}:${row.high}`, row.id]));
  }

  /** Creates the conversation of a new group inside the group's transaction; returns its id. */
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
   * The caller's active conversations, newest activity first, after the keyset `after`; `limit` rows
   * at most (ask for one more to know whether there is a next page).
   */
  async listForUser(
    userId: string,
    after: { at: string; id: string } | null,
    limit: number,
  ): Promise<ConversationListEntry[]> {
    const rows: ListRow[] = await this.dataSource.query(
      `SELECT c.id AS c_id, c.type AS c_type, c.group_id AS c_group_id, c.version AS c_version,
              LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS visible_seq, m.last_read_seq,
              COALESCE(c.last_message_at, c.created_at) AS sort_at,
              ${exactTimestampSql('COALESCE(c.last_message_at, c.created_at)')} AS sort_exact,
              g.name AS g_name, g.visibility AS g_visibility,
              p.id AS peer_id, p.username AS peer_username, p.last_seen AS peer_last_seen,
              ${messageColumns('lm')}
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN groups g ON g.id = c.group_id
         LEFT JOIN users p ON c.type = 'direct' AND p.id = CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END
         LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq))
        WHERE m.user_id = $1 AND m.left_seq IS NULL
          AND ($2::timestamptz IS NULL OR (COALESCE(c.last_message_at, c.created_at), c.id) < ($2::timestamptz, $3::uuid))
        ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
        LIMIT $4`,
      [userId, after?.at ?? null, after?.id ?? null, limit],
    );
    return rows.map((row) => ({
      conversationId: row.c_id,
      type: row.c_type,
      groupId: row.c_group_id,
      version: Number(row.c_version),
      visibleSeq: Number(row.visible_seq),
      lastReadSeq: Number(row.last_read_seq),
      sortAt: row.sort_at,
      sortExact: row.sort_exact,
      groupName: row.g_name,
      groupVisibility: row.g_visibility,
      peerId: row.peer_id,
      peerUsername: row.peer_username,
      peerLastSeen: row.peer_last_seen,
      // The message columns sit beside the conversation's; the extra fields are never read from it.
      lastMessage: row.id !== null ? row : null,
    }));
  }
}
