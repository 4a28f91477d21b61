import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MessageType } from '../../../libs/contracts/src';
import { MESSAGE_COLUMNS, type MessageRow } from '../message-view';

/** One send of a `post_messages` batch, its target resolved (the writer's queued sends as they are). */
export interface MessageToPost {
  /** Chosen in advance when attachments are claimed for it; else generated here. */
  messageId?: string;
  conversationId: string;
  senderId: string;
  recipientId: string | null;
  groupId: string | null;
  content: string;
  messageType: MessageType;
  clientMessageId: string | null;
  replyToId?: string | null;
  mentions?: string[] | null;
}

/** What `post_messages` decided for one send. */
export type PostOutcome =
  | { kind: 'created'; row: MessageRow }
  | { kind: 'replay'; row: MessageRow }
  | { kind: 'conflict' }
  | { kind: 'forbidden' }
  | { kind: 'invalid_reply' };

/** A `post_messages` batch's result, by the 1-based position of each send. */
export interface PostedBatch {
  outcomes: Map<number, PostOutcome>;
  /** Thread roots the batch bumped, by the position of their last reply in it. */
  roots: Map<number, MessageRow>;
  /** Active participants per conversation of the batch, at commit time. */
  participants: Map<string, string[]>;
}

/** The undelivered range of one conversation, as a catch-up page asks for it. */
export interface SeqRange {
  conversationId: string;
  after: number;
  upTo: number;
}

/**
 * A row of `post_messages`: one per send (ord = its 1-based position), one per thread root the batch
 * changed (ord = its last reply's) and one per conversation.
 */
interface PostedRow {
  ord: number;
  kind: 'created' | 'replay' | 'conflict' | 'forbidden' | 'invalid_reply' | 'root' | 'participants';
  m_id: string | null;
  m_conversation_id: string | null;
  m_seq: string | null;
  m_sender_id: string | null;
  m_recipient_id: string | null;
  m_group_id: string | null;
  m_content: string | null;
  m_message_type: string | null;
  m_client_message_id: string | null;
  m_created_at: Date | null;
  m_version: string | null;
  m_edited_at: Date | null;
  m_deleted_at: Date | null;
  m_reply_to_id: string | null;
  m_thread_root_id: string | null;
  m_reply_count: number | null;
  m_last_reply_at: Date | null;
  m_mentions: string[] | null;
  participants: string[] | null;
}

/** The message columns of a `post_messages` row (set for created, replay and root rows). */
function toRow(row: PostedRow): MessageRow {
  return {
    id: row.m_id as string,
    conversation_id: row.m_conversation_id as string,
    seq: Number(row.m_seq),
    sender_id: row.m_sender_id as string,
    recipient_id: row.m_recipient_id,
    group_id: row.m_group_id,
    content: row.m_content as string,
    message_type: row.m_message_type as MessageType,
    client_message_id: row.m_client_message_id,
    created_at: row.m_created_at as Date,
    version: Number(row.m_version),
    edited_at: row.m_edited_at,
    deleted_at: row.m_deleted_at,
    reply_to_id: row.m_reply_to_id,
    thread_root_id: row.m_thread_root_id,
    reply_count: Number(row.m_reply_count ?? 0),
    last_reply_at: row.m_last_reply_at,
    mentions: row.m_mentions ?? [],
  };
}

/**
 * Reads of `messages` for the messaging use cases, and the group-commit write. Edits, deletions,
 * reactions and threads are written by lifecycle/MessageLifecycleRepository under the conversation
 * lock; new messages only by `post_messages` (its migration), called from here.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes a batch in one statement (one round trip, one implicit transaction): locks the
   * conversations in id order, takes the next seqs, inserts, moves the senders' markers.
   */
  async post(batch: readonly MessageToPost[], now: Date): Promise<PostedBatch> {
    const rows = await this.dataSource.query<PostedRow[]>(
      `SELECT * FROM post_messages($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                   $6::text[], $7::varchar[], $8::varchar[], $9::uuid[], $10::text[],
                                   $11::timestamptz)`,
      [
        batch.map((send) => send.messageId ?? randomUUID()),
        batch.map((send) => send.conversationId),
        batch.map((send) => send.senderId),
        batch.map((send) => send.recipientId),
        batch.map((send) => send.groupId),
        batch.map((send) => send.content),
        batch.map((send) => send.messageType),
        batch.map((send) => send.clientMessageId),
        batch.map((send) => send.replyToId ?? null),
        batch.map((send) => (send.mentions?.length ? `{${send.mentions.join(',')}}` : null)),
        now,
      ],
    );
    const posted: PostedBatch = { outcomes: new Map(), roots: new Map(), participants: new Map() };
    for (const row of rows) {
      if (row.kind === 'participants') {
        posted.participants.set(row.m_conversation_id as string, row.participants ?? []);
      } else if (row.kind === 'root') {
        posted.roots.set(row.ord, toRow(row));
      } else if (row.kind === 'created' || row.kind === 'replay') {
        posted.outcomes.set(row.ord, { kind: row.kind, row: toRow(row) });
      } else {
        posted.outcomes.set(row.ord, { kind: row.kind });
      }
    }
    return posted;
  }

  /**
   * A conversation's messages with `after < seq <= upTo`, oldest first when `ascending`, else newest
   * first; `limit` after skipping `offset`.
   */
  async page(
    conversationId: string,
    range: { after: number; upTo: number; ascending: boolean },
    limit: number,
    offset: number,
  ): Promise<MessageRow[]> {
    return this.dataSource.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq ${range.ascending ? 'ASC' : 'DESC'}
        LIMIT $4 OFFSET $5`,
      [conversationId, range.after, range.upTo, limit, offset],
    );
  }

  /** Per range, its newest `limit` messages (in no particular order across ranges), one statement. */
  async newestInRanges(ranges: SeqRange[], limit: number): Promise<MessageRow[]> {
    return this.dataSource.query<MessageRow[]>(
      `SELECT msg.* FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS w(conversation_id, after, up_to)
         CROSS JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages
            WHERE conversation_id = w.conversation_id AND seq > w.after AND seq <= w.up_to
            ORDER BY seq DESC LIMIT $4
         ) msg`,
      [
        ranges.map((w) => w.conversationId),
        ranges.map((w) => w.after),
        ranges.map((w) => w.upTo),
        limit,
      ],
    );
  }

  /** Where a message sits: its conversation and seq. */
  async locate(messageId: string): Promise<{ conversationId: string; seq: number } | null> {
    const rows: { conversation_id: string; seq: string }[] = await this.dataSource.query(
      'SELECT conversation_id, seq FROM messages WHERE id = $1',
      [messageId],
    );
    return rows[0] ? { conversationId: rows[0].conversation_id, seq: Number(rows[0].seq) } : null;
  }

  /** The distinct senders of a conversation's messages with `after < seq <= upTo`. */
  async senderIdsBetween(conversationId: string, after: number, upTo: number): Promise<string[]> {
    const rows: { sender_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT sender_id FROM messages
          WHERE conversation_id = $1 AND seq > $2 AND seq <= $3`,
      [conversationId, after, upTo],
    );
    return rows.map((row) => row.sender_id);
  }
}
