import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { exactTimestampSql } from '../common/http/keyset-cursor';
import { messageColumns, type MessageRow } from '../messaging/message-view';

export interface SearchCriteria {
  userId: string;
  q: string;
  conversationId: string | null;
  /** Senders the caller blocks: their messages stay out. */
  excludedSenderIds: string[];
  after: { at: string; id: string } | null;
  limit: number;
}

export type SearchRow = MessageRow & { sort_exact: string };

/**
 * Full-text search over messages: `websearch_to_tsquery('simple', q)` against the generated
 * `content_tsv` column, so the GIN index `IDX_messages_content_tsv` finds the matches. Only
 * conversations the caller takes part in; for a group they left, only messages up to `left_seq`.
 * Deleted messages (tombstones, `deleted_at` set) never match.
 */
@Injectable()
export class SearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  static readonly SQL = `
    SELECT ${messageColumns('m')}, ${exactTimestampSql('m.created_at')} AS sort_exact
      FROM messages m
      JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1
     WHERE m.content_tsv @@ websearch_to_tsquery('simple', $2)
       AND (cm.left_seq IS NULL OR m.seq <= cm.left_seq)
       AND m.deleted_at IS NULL
       AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid)
       AND m.sender_id <> ALL ($4::uuid[])
       AND ($5::timestamptz IS NULL OR (m.created_at, m.id) < ($5::timestamptz, $6::uuid))
     ORDER BY m.created_at DESC, m.id DESC
     LIMIT $7`;

  static parameters(criteria: SearchCriteria): unknown[] {
    return [
      criteria.userId,
      criteria.q,
      criteria.conversationId,
      criteria.excludedSenderIds,
      criteria.after?.at ?? null,
      criteria.after?.id ?? null,
      criteria.limit,
    ];
  }

  /**
   * Merges the GIN index's pending list (rows inserted since the last merge) into the index proper;
   * returns the pending-list pages it removed. With `fastupdate` (the default) an insert only appends
   * to that list, and the insert that finds it past `gin_pending_list_limit` merges it itself, inside
   * the message commit: 100-250 ms measured here, holding up every commit queued behind it. Run
   * elsewhere, the merge overlaps the inserts (they skip the merge while another session does it).
   */
  async mergePendingIndexEntries(): Promise<number> {
    const [row] = await this.dataSource.query<{ pages: string }[]>(
      `SELECT gin_clean_pending_list('"IDX_messages_content_tsv"'::regclass) AS pages`,
    );
    return Number(row.pages);
  }

  async search(criteria: SearchCriteria): Promise<SearchRow[]> {
    return this.dataSource.query<SearchRow[]>(
      SearchRepository.SQL,
      SearchRepository.parameters(criteria),
    );
  }
}
