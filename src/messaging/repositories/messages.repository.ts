import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { textArrayLiteral } from '../../database/array-literal';
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

/** The message columns of a `post_messages` row: set on 'replay' and 'root' rows. */
interface PostedMessageColumns {
  m_id: string;
  m_conversation_id: string;
  m_sender_id: string;
  m_recipient_id: string | null;
  m_group_id: string | null;
  m_content: string;
  m_message_type: MessageType;
  m_client_message_id: string | null;
  m_created_at: Date;
  m_edited_at: Date | null;
  m_deleted_at: Date | null;
  m_reply_to_id: string | null;
  m_reply_count: number;
  m_last_reply_at: Date | null;
}

/** What a 'created' row carries: the rest is what the caller sent. bigints arrive as strings. */
interface CreatedColumns {
  m_seq: string;
  m_version: string;
  m_thread_root_id: string | null;
  /** NULL when none were kept. */
  m_mentions: string[] | null;
}

/**
 * A row of `post_messages`: one per send (ord = its 1-based position), one per thread root the batch
 * changed (ord = its last reply's) and one per conversation (ord 0). Columns a kind does not set are
 * NULL.
 */
type PostedRow =
  | ({ ord: number; kind: 'created' } & CreatedColumns)
  | ({ ord: number; kind: 'replay' | 'root' } & CreatedColumns & PostedMessageColumns)
  | { ord: number; kind: 'conflict' | 'forbidden' | 'invalid_reply' }
  | { ord: number; kind: 'participants'; m_conversation_id: string; participants: string[] };

/** A 'replay' or 'root' row as a MessageRow. */
function storedRow(row: CreatedColumns & PostedMessageColumns): MessageRow {
  return {
    id: row.m_id,
    conversation_id: row.m_conversation_id,
    seq: Number(row.m_seq),
    sender_id: row.m_sender_id,
    recipient_id: row.m_recipient_id,
    group_id: row.m_group_id,
    content: row.m_content,
    message_type: row.m_message_type,
    client_message_id: row.m_client_message_id,
    created_at: row.m_created_at,
    version: Number(row.m_version),
    edited_at: row.m_edited_at,
    deleted_at: row.m_deleted_at,
    reply_to_id: row.m_reply_to_id,
    thread_root_id: row.m_thread_root_id,
    reply_count: row.m_reply_count,
    last_reply_at: row.m_last_reply_at,
    mentions: row.m_mentions ?? [],
  };
}

/** A 'created' row as a MessageRow: the send as it was posted, with what the database decided. */
function createdRow(send: MessageToPost, id: string, now: Date, row: CreatedColumns): MessageRow {
  return {
    id,
    conversation_id: send.conversationId,
    seq: Number(row.m_seq),
    sender_id: send.senderId,
    recipient_id: send.recipientId,
    group_id: send.groupId,
    content: send.content,
    message_type: send.messageType,
    client_message_id: send.clientMessageId,
    created_at: now,
    version: Number(row.m_version),
    edited_at: null,
    deleted_at: null,
    reply_to_id: send.replyToId ?? null,
    thread_root_id: row.m_thread_root_id,
    reply_count: 0,
    last_reply_at: null,
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
   * conversations in id order, takes the next seqs, inserts, moves the senders' markers. A created
   * message comes back as seq, version, thread root and mentions only: the rest is the send itself.
   */
  async post(batch: readonly MessageToPost[], now: Date): Promise<PostedBatch> {
    const ids = batch.map((send) => send.messageId ?? randomUUID());
    const rows = await this.dataSource.query<PostedRow[]>(
      `SELECT * FROM post_messages($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                   $6::text[], $7::varchar[], $8::varchar[], $9::uuid[], $10::text[],
                                   $11::timestamptz)`,
      [
        textArrayLiteral(ids),
        textArrayLiteral(batch.map((send) => send.conversationId)),
        textArrayLiteral(batch.map((send) => send.senderId)),
        textArrayLiteral(batch.map((send) => send.recipientId)),
        textArrayLiteral(batch.map((send) => send.groupId)),
        textArrayLiteral(batch.map((send) => send.content)),
        textArrayLiteral(batch.map((send) => send.messageType)),
        textArrayLiteral(batch.map((send) => send.clientMessageId)),
        textArrayLiteral(batch.map((send) => send.replyToId ?? null)),
        textArrayLiteral(
          batch.map((send) => (send.mentions?.length ? `{${send.mentions.join(',')}}` : null)),
        ),
        now,
      ],
    );
    const posted: PostedBatch = { outcomes: new Map(), roots: new Map(), participants: new Map() };
    for (const row of rows) {
      switch (row.kind) {
        case 'participants':
          posted.participants.set(row.m_conversation_id, row.participants);
          break;
        case 'root':
          posted.roots.set(row.ord, storedRow(row));
          break;
        case 'replay':
          posted.outcomes.set(row.ord, { kind: 'replay', row: storedRow(row) });
          break;
        case 'created':
          posted.outcomes.set(row.ord, {
            kind: 'created',
            row: createdRow(batch[row.ord - 1], ids[row.ord - 1], now, row),
          });
          break;
        case 'conflict':
        case 'forbidden':
        case 'invalid_reply':
          posted.outcomes.set(row.ord, { kind: row.kind });
          break;
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
