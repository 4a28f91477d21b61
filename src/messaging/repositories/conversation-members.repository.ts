import { Injectable } from '@nestjs/common';
import { groupBy } from '../../common/collections';
import { DataSource, type EntityManager } from 'typeorm';

/** A participant's read and delivery markers, as stored. */
export interface StoredMarkers {
  conversationId: string;
  userId: string;
  lastDeliveredSeq: number;
  lastReadSeq: number;
}

/** Per conversation of a user: where their read marker is and the newest seq they may read. */
export interface UnreadRecord {
  conversationId: string;
  lastReadSeq: number;
  visibleSeq: number;
  mentionCount: number;
}

/** A conversation with messages the user has not confirmed: (after, upTo] is undelivered. */
export interface UndeliveredRange {
  conversationId: string;
  after: number;
  upTo: number;
}

/** A delivery mark to write: `userId` has received `conversationId` up to `seq`. */
export interface DeliveryMark {
  conversationId: string;
  userId: string;
  seq: number;
}

/** TypeORM answers UPDATE ... RETURNING with `[rows, affected]`, a SELECT with the rows. */
function returnedRows<T>(result: T[] | [T[], number]): T[] {
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
    ? result[0]
    : (result as T[]);
}

/**
 * The only reader and writer of `conversation_members`: who takes part in a conversation, and each
 * participant's read and delivery markers.
 */
@Injectable()
export class ConversationMembersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Makes `userId` an active participant in the caller's transaction. A new (or returning) member
   * starts with both markers at the conversation's current last seq.
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
   * Ends `userId`'s participation at the conversation's current last seq, in the caller's
   * transaction. The conversation row is locked so no message can slip in between.
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

  async activeParticipantIds(conversationId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND left_seq IS NULL',
      [conversationId],
    );
    return rows.map((row) => row.user_id);
  }

  /**
   * For each of `userIds`, the users who share an active conversation with them, in one statement
   * (presence fan-outs of a reconnect storm are read together).
   */
  async peerIdsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows: { of: string; user_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT me.user_id AS of, o.user_id FROM conversation_members me
         JOIN conversation_members o ON o.conversation_id = me.conversation_id AND o.user_id <> me.user_id AND o.left_seq IS NULL
        WHERE me.user_id = ANY($1::uuid[]) AND me.left_seq IS NULL`,
      [userIds],
    );
    return groupBy(
      rows,
      (row) => row.of,
      (row) => row.user_id,
    );
  }

  /** The stored markers of the active participants of these conversations. */
  async activeMarkers(conversationIds: string[]): Promise<StoredMarkers[]> {
    const rows: {
      conversation_id: string;
      user_id: string;
      last_delivered_seq: string;
      last_read_seq: string;
    }[] = await this.dataSource.query(
      `SELECT conversation_id, user_id, last_delivered_seq, last_read_seq FROM conversation_members
          WHERE conversation_id = ANY($1::uuid[]) AND left_seq IS NULL`,
      [conversationIds],
    );
    return rows.map((row) => ({
      conversationId: row.conversation_id,
      userId: row.user_id,
      lastDeliveredSeq: Number(row.last_delivered_seq),
      lastReadSeq: Number(row.last_read_seq),
    }));
  }

  /**
   * Moves the read marker (and with it the delivery marker) up to `seq`, never backwards. Returns the
   * read marker as stored afterwards, or null when the user is not a participant.
   */
  async advanceRead(conversationId: string, userId: string, seq: number): Promise<number | null> {
    const rows = returnedRows<{ last_read_seq: string }>(
      await this.dataSource.query(
        `UPDATE conversation_members
          SET last_read_seq = GREATEST(last_read_seq, $3), last_delivered_seq = GREATEST(last_delivered_seq, $3)
        WHERE conversation_id = $1 AND user_id = $2
        RETURNING last_read_seq`,
        [conversationId, userId, seq],
      ),
    );
    return rows[0] ? Number(rows[0].last_read_seq) : null;
  }

  /**
   * Writes coalesced delivery marks in ONE statement, never moving a marker backwards, and returns
   * the marks it skipped. Rows are locked in (conversation, user) order, as post_messages does for
   * the senders' markers, so a flush and a message write never wait on each other in a cycle. One
   * statement, not a transaction of four round trips: the locks are held only while PostgreSQL runs
   * it, never while a busy event loop gets round to sending the next statement.
   *
   * `skipLocked`: rows a message write holds right now are left out and returned (to be written by
   * the next flush) instead of waited for. A waiting flush holds the rows it already locked, and the
   * next group commit then waits for it in turn: at a cold start, when senders are also recipients,
   * commits and flushes took turns waiting for each other. Marks of rows that no longer exist (a
   * member removed meanwhile) are dropped, not returned.
   */
  async writeDeliveryMarks(
    marks: DeliveryMark[],
    { skipLocked }: { skipLocked: boolean } = { skipLocked: false },
  ): Promise<DeliveryMark[]> {
    const rows = await this.dataSource.query<
      { conversation_id: string; user_id: string; seq: string }[]
    >(
      `WITH marks AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS v(conversation_id, user_id, seq)
       ), locked AS MATERIALIZED (
         SELECT m.conversation_id, m.user_id, v.seq
           FROM conversation_members m
           JOIN marks v ON m.conversation_id = v.conversation_id AND m.user_id = v.user_id
          ORDER BY m.conversation_id, m.user_id
            FOR UPDATE OF m ${skipLocked ? 'SKIP LOCKED' : ''}
       ), updated AS (
         UPDATE conversation_members m
            SET last_delivered_seq = GREATEST(m.last_delivered_seq, l.seq)
           FROM locked l
          WHERE m.conversation_id = l.conversation_id AND m.user_id = l.user_id
         RETURNING m.conversation_id, m.user_id
       )
       SELECT v.conversation_id, v.user_id, v.seq
         FROM marks v
         JOIN conversation_members m ON m.conversation_id = v.conversation_id AND m.user_id = v.user_id
        WHERE NOT EXISTS (
          SELECT 1 FROM updated u WHERE u.conversation_id = v.conversation_id AND u.user_id = v.user_id
        )`,
      [marks.map((m) => m.conversationId), marks.map((m) => m.userId), marks.map((m) => m.seq)],
    );
    return rows.map((row) => ({
      conversationId: row.conversation_id,
      userId: row.user_id,
      seq: Number(row.seq),
    }));
  }

  /**
   * Per conversation of `userId`, newest activity first: the read marker, the newest seq they may read
   * (capped where they left a group) and the unread messages that mention them (blocked senders
   * excluded).
   */
  async unread(userId: string): Promise<UnreadRecord[]> {
    const rows: {
      conversation_id: string;
      last_read_seq: string;
      visible_seq: string;
      mention_count: string;
    }[] = await this.dataSource.query(
      `SELECT m.conversation_id, m.last_read_seq, v.visible_seq,
                (SELECT count(*) FROM messages x
                  WHERE x.conversation_id = m.conversation_id AND x.seq > m.last_read_seq
                    AND x.seq <= v.visible_seq AND x.deleted_at IS NULL
                    AND $1::uuid = ANY(x.mentions)
                    AND NOT EXISTS (SELECT 1 FROM user_blocks b
                                     WHERE b.blocker_id = $1 AND b.blocked_id = x.sender_id)
                ) AS mention_count
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
         CROSS JOIN LATERAL (SELECT LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS visible_seq) v
        WHERE m.user_id = $1
        ORDER BY c.last_message_at DESC NULLS LAST, c.id`,
      [userId],
    );
    return rows.map((row) => ({
      conversationId: row.conversation_id,
      lastReadSeq: Number(row.last_read_seq),
      visibleSeq: Number(row.visible_seq),
      mentionCount: Number(row.mention_count),
    }));
  }

  /**
   * The conversations of `userId` with messages above both stored markers, up to the newest seq they
   * may read.
   */
  async undelivered(userId: string): Promise<UndeliveredRange[]> {
    const rows: { conversation_id: string; after: string; up_to: string }[] =
      await this.dataSource.query(
        `SELECT m.conversation_id, GREATEST(m.last_delivered_seq, m.last_read_seq) AS after,
              LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS up_to
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 AND LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) > GREATEST(m.last_delivered_seq, m.last_read_seq)`,
        [userId],
      );
    return rows.map((row) => ({
      conversationId: row.conversation_id,
      after: Number(row.after),
      upTo: Number(row.up_to),
    }));
  }

  /**
   * Which of `userIds` have anything above their delivery marker at all: one query for a whole batch
   * of connecting users (after a restart most of them have nothing pending).
   */
  async usersWithUndelivered(userIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ user_id: string }[]>(
      `SELECT DISTINCT m.user_id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = ANY($1::uuid[])
          AND LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) > GREATEST(m.last_delivered_seq, m.last_read_seq)`,
      [userIds],
    );
    return new Set(rows.map((row) => row.user_id));
  }
}
