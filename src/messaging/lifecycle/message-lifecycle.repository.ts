import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { MESSAGE_COLUMNS, type MessageRow } from '../message-view';

/** A message changed by a lifecycle write, with the audience of the change. */
export interface ChangedMessage {
  row: MessageRow;
  /** False when the write found nothing to change (idempotent repeat): no version was taken. */
  changed: boolean;
  participantIds: string[];
}

/**
 * The writes of one change to a conversation's messages, inside a transaction that holds the
 * conversation row lock (the same lock `post_messages` takes for seq and version): changes to one
 * conversation are serialised, so none is lost and versions stay gap-free.
 */
export class LockedConversation {
  constructor(
    private readonly manager: EntityManager,
    readonly conversationId: string,
  ) {}

  /** The message as it is now (its row cannot change while the lock is held). */
  async message(messageId: string): Promise<MessageRow | null> {
    const rows: MessageRow[] = await this.manager.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND conversation_id = $2`,
      [messageId, this.conversationId],
    );
    return rows[0] ?? null;
  }

  /** Takes the conversation's next version. */
  async nextVersion(): Promise<number> {
    // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
    const rows: { version: string }[] = await this.manager.query(
      `WITH bumped AS (UPDATE conversations SET version = version + 1 WHERE id = $1 RETURNING version)
       SELECT version FROM bumped`,
      [this.conversationId],
    );
    return Number(rows[0].version);
  }

  async activeParticipantIds(): Promise<string[]> {
    const rows: { user_id: string }[] = await this.manager.query(
      'SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND left_seq IS NULL',
      [this.conversationId],
    );
    return rows.map((row) => row.user_id);
  }

  /** Keeps the ids that are active participants, in the order given. */
  async keepParticipants(userIds: string[]): Promise<string[]> {
    if (!userIds.length) {
      return [];
    }
    const rows: { user_id: string }[] = await this.manager.query(
      `SELECT u.id AS user_id FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, o)
        WHERE EXISTS (SELECT 1 FROM conversation_members cm
                       WHERE cm.conversation_id = $1 AND cm.user_id = u.id AND cm.left_seq IS NULL)
        ORDER BY u.o`,
      [this.conversationId, userIds],
    );
    return rows.map((row) => row.user_id);
  }

  async groupRole(groupId: string, userId: string): Promise<string | null> {
    const rows: { role: string }[] = await this.manager.query(
      'SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2',
      [groupId, userId],
    );
    return rows[0]?.role ?? null;
  }

  /** Keeps the previous content in the edit history, then writes the new one. */
  async replaceContent(
    previous: MessageRow,
    content: string,
    mentions: string[],
    version: number,
  ): Promise<void> {
    await this.manager.query(
      `INSERT INTO message_edits (message_id, content, mentions, version) VALUES ($1, $2, $3::uuid[], $4)`,
      [previous.id, previous.content, previous.mentions ?? [], previous.version],
    );
    await this.manager.query(
      `UPDATE messages SET content = $2, mentions = $3::uuid[], edited_at = now(), version = $4
        WHERE id = $1`,
      [previous.id, content, mentions, version],
    );
  }

  /** Tombstone: same id and seq; content, mentions, reactions and edit history gone. */
  async tombstone(messageId: string, version: number): Promise<void> {
    await this.manager.query('DELETE FROM message_reactions WHERE message_id = $1', [messageId]);
    await this.manager.query('DELETE FROM message_edits WHERE message_id = $1', [messageId]);
    await this.manager.query(
      `UPDATE messages SET content = '', mentions = '{}', deleted_at = now(), version = $2
        WHERE id = $1`,
      [messageId, version],
    );
  }

  async hasReaction(messageId: string, userId: string, emoji: string): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      'SELECT 1 FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3',
      [messageId, userId, emoji],
    );
    return rows.length > 0;
  }

  /** The distinct emoji on the message, and whether `emoji` is one of them. */
  async emojiUse(messageId: string, emoji: string): Promise<{ distinct: number; used: boolean }> {
    const rows: { distinct: string; used: boolean }[] = await this.manager.query(
      `SELECT count(DISTINCT emoji) AS distinct, COALESCE(bool_or(emoji = $2), false) AS used
         FROM message_reactions WHERE message_id = $1`,
      [messageId, emoji],
    );
    return { distinct: Number(rows[0]?.distinct ?? 0), used: rows[0]?.used ?? false };
  }

  async addReaction(
    messageId: string,
    userId: string,
    emoji: string,
    version: number,
  ): Promise<void> {
    await this.manager.query(
      `INSERT INTO message_reactions (message_id, user_id, emoji, emoji_first_at)
       VALUES ($1, $2, $3::varchar, COALESCE((SELECT min(emoji_first_at) FROM message_reactions
                                      WHERE message_id = $1 AND emoji = $3::varchar), clock_timestamp()))`,
      [messageId, userId, emoji],
    );
    await this.setVersion(messageId, version);
  }

  async removeReaction(
    messageId: string,
    userId: string,
    emoji: string,
    version: number,
  ): Promise<void> {
    await this.manager.query(
      'DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3',
      [messageId, userId, emoji],
    );
    await this.setVersion(messageId, version);
  }

  private async setVersion(messageId: string, version: number): Promise<void> {
    await this.manager.query('UPDATE messages SET version = $2 WHERE id = $1', [
      messageId,
      version,
    ]);
  }
}

/** Reads for the lifecycle routes and the transaction that serialises changes per conversation. */
@Injectable()
export class MessageLifecycleRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findMessage(messageId: string): Promise<MessageRow | null> {
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`,
      [messageId],
    );
    return rows[0] ?? null;
  }

  /**
   * Runs `work` in one transaction holding the conversation's row lock, then returns the message as
   * committed. `work` throws to refuse (nothing is written) or returns whether it changed anything.
   */
  async change(
    conversationId: string,
    messageId: string,
    work: (locked: LockedConversation) => Promise<boolean>,
  ): Promise<ChangedMessage> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const locked = new LockedConversation(manager, conversationId);
      const changed = await work(locked);
      const row = await locked.message(messageId);
      return {
        row: row as MessageRow,
        changed,
        participantIds: changed ? await locked.activeParticipantIds() : [],
      };
    });
  }

  /** A thread's replies after `after`, oldest first, up to `upToSeq` (what the caller may read). */
  async replies(
    rootId: string,
    after: number,
    upToSeq: number,
    limit: number,
  ): Promise<MessageRow[]> {
    return this.dataSource.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE thread_root_id = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq ASC LIMIT $4`,
      [rootId, after, upToSeq, limit],
    );
  }

  /**
   * Messages whose version is above `sinceVersion`, in version order, with the conversation's version,
   * read in one statement (one snapshot): nothing committed between the two reads can be skipped.
   */
  async changes(
    conversationId: string,
    sinceVersion: number,
    upToSeq: number,
    limit: number,
  ): Promise<{ rows: MessageRow[]; version: number }> {
    const rows: (MessageRow & { conversation_version: string })[] = await this.dataSource.query(
      `SELECT c.version AS conversation_version, changed.*
         FROM conversations c
         LEFT JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages
            WHERE messages.conversation_id = c.id AND messages.version > $2 AND messages.seq <= $3
            ORDER BY messages.version ASC LIMIT $4
         ) changed ON true
        WHERE c.id = $1`,
      [conversationId, sinceVersion, upToSeq, limit],
    );
    return {
      version: Number(rows[0]?.conversation_version ?? 0),
      rows: rows.filter((row) => row.id !== null),
    };
  }
}
