import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  ConversationSummary,
  Message,
  Pagination,
  UnreadSummary,
} from '../../libs/contracts/src';
import { PresenceService } from '../presence/presence.service';
import { ConversationAccessService } from './conversation-access.service';
import {
  decodeKeysetCursor,
  encodeKeysetCursor,
  exactTimestampSql,
} from '../common/http/keyset-cursor';
import type { HistoryQueryDto } from './dto/history-query.dto';
import { DeliveryMarkerBuffer } from './marker.service';
import { MESSAGE_COLUMNS, messageColumns, type MessageRow } from './message-view';
import { MessagePresenter } from './message-presenter';

export interface HistoryPage {
  messages: Message[];
  pagination: Pagination;
}

export interface PendingConversation {
  conversationId: string;
  /** Oldest first; when truncated, the newest page. */
  messages: Message[];
  /** The caller's delivery marker: everything above it is undelivered. */
  after: number;
  upTo: number;
  truncated: boolean;
}

/**
 * Reading: history pages, `sync`, unread counts, the conversation list and connect-time catch-up
 * (what a user has not confirmed yet).
 */
@Injectable()
export class ConversationQueriesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: ConversationAccessService,
    private readonly deliveries: DeliveryMarkerBuffer,
    private readonly presence: PresenceService,
    private readonly presenter: MessagePresenter,
  ) {}
  async history(userId: string, ref: string, query: HistoryQueryDto): Promise<HistoryPage> {
    const limit = query.limit ?? 50;
    const access = await this.access.resolve(userId, ref);
    if (!access) {
      return { messages: [], pagination: { limit, hasMore: false, nextCursor: null } };
    }
    const ascending = query.after !== undefined;
    const upper = Math.min(
      access.visibleSeq,
      query.before !== undefined ? query.before - 1 : Number.MAX_SAFE_INTEGER,
    );
    const lower = query.after ?? 0;
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq ${ascending ? 'ASC' : 'DESC'}
        LIMIT $4 OFFSET $5`,
      [access.conversationId, lower, upper, limit + 1, query.offset ?? 0],
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: await this.presenter.decorate(page),
      pagination: {
        limit,
        hasMore,
        nextCursor: hasMore && last ? Number(last.seq) : null,
        offset: query.offset ?? 0,
      },
    };
  }

  /** Socket `sync`: what follows `after`, oldest first. */
  async sync(
    userId: string,
    ref: string,
    after: number,
    limit = 100,
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const page = await this.history(userId, ref, { after, limit });
    return { messages: page.messages, hasMore: page.pagination.hasMore };
  }

  async unread(userId: string): Promise<UnreadSummary> {
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
    const conversations = rows.map((row) => {
      const lastSeq = Number(row.visible_seq);
      const lastReadSeq = Math.min(Number(row.last_read_seq), lastSeq);
      return {
        conversationID: row.conversation_id,
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        lastSeq,
        mentionCount: Number(row.mention_count),
      };
    });
    return {
      total: conversations.reduce((sum, c) => sum + c.unreadCount, 0),
      mentions: conversations.reduce((sum, c) => sum + c.mentionCount, 0),
      conversations,
    };
  }

  /**
   * Catch-up on connect: per conversation, the messages above the user's delivery marker (capped at
   * where they left a group), oldest first; past `perConversationLimit`, the newest page.
   */
  async pendingDeliveries(
    userId: string,
    perConversationLimit = 100,
  ): Promise<PendingConversation[]> {
    const marks: { conversation_id: string; after: string; up_to: string }[] =
      await this.dataSource.query(
        `SELECT m.conversation_id, GREATEST(m.last_delivered_seq, m.last_read_seq) AS after,
              LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS up_to
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 AND LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) > GREATEST(m.last_delivered_seq, m.last_read_seq)`,
        [userId],
      );
    const wanted = marks
      .map((mark) => ({
        conversationId: mark.conversation_id,
        after: Math.max(
          Number(mark.after),
          this.deliveries.recordedSeq(mark.conversation_id, userId),
        ),
        upTo: Number(mark.up_to),
      }))
      .filter((mark) => mark.upTo > mark.after);
    if (!wanted.length) {
      return [];
    }
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT msg.* FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS w(conversation_id, after, up_to)
         CROSS JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages
            WHERE conversation_id = w.conversation_id AND seq > w.after AND seq <= w.up_to
            ORDER BY seq DESC LIMIT $4
         ) msg`,
      [
        wanted.map((w) => w.conversationId),
        wanted.map((w) => w.after),
        wanted.map((w) => w.upTo),
        perConversationLimit,
      ],
    );
    const messages = await this.presenter.decorate(rows.filter((row) => row.sender_id !== userId));
    return wanted
      .map((w) => ({
        conversationId: w.conversationId,
        after: w.after,
        upTo: w.upTo,
        truncated: w.upTo - w.after > perConversationLimit,
        messages: messages
          .filter((m) => m.conversationID === w.conversationId)
          .sort((a, b) => a.seq - b.seq),
      }))
      .filter((p) => p.messages.length > 0 || p.truncated);
  }

  async conversations(
    userId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: ConversationSummary[]; pagination: Pagination }> {
    const after = cursor !== undefined ? decodeKeysetCursor(cursor) : null;
    const rows: (MessageRow & {
      c_id: string;
      c_type: 'direct' | 'group';
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
    })[] = await this.dataSource.query(
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
      [userId, after?.at ?? null, after?.id ?? null, limit + 1],
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const lastMessages = await this.presenter.decorate(page.filter((row) => row.id !== null));
    const byConversation = new Map(lastMessages.map((m) => [m.conversationID, m]));
    const presence = await this.presence.getPresence(
      page.flatMap((row) => (row.peer_id ? [row.peer_id] : [])),
    );
    const items: ConversationSummary[] = page.map((row) => {
      const lastSeq = Number(row.visible_seq);
      const lastReadSeq = Math.min(Number(row.last_read_seq), lastSeq);
      const live = row.peer_id ? presence.get(row.peer_id) : undefined;
      const lastSeen = live?.lastSeen ?? row.peer_last_seen;
      return {
        id: row.c_id,
        type: row.c_type,
        peer:
          row.peer_id && row.peer_username
            ? {
                id: row.peer_id,
                username: row.peer_username,
                status: live?.status ?? 'offline',
                lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
              }
            : null,
        group:
          row.c_group_id && row.g_name && row.g_visibility
            ? { id: row.c_group_id, name: row.g_name, visibility: row.g_visibility }
            : null,
        lastMessage: byConversation.get(row.c_id) ?? null,
        lastSeq,
        version: Number(row.c_version),
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        updatedAt: new Date(row.sort_at).toISOString(),
      };
    });
    const last = page[page.length - 1];
    const nextCursor = hasMore && last ? encodeKeysetCursor(last.sort_exact, last.c_id) : null;
    return { items, pagination: { limit, hasMore, nextCursor } };
  }
}
