import type { Message, MessageAttachment, ReactionSummary } from '../../libs/contracts/src';

/** A message row as read with raw SQL (snake_case columns). */
export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: string | number;
  sender_id: string;
  recipient_id: string | null;
  group_id: string | null;
  content: string;
  message_type: Message['messageType'];
  client_message_id: string | null;
  created_at: Date | string;
  version: string | number;
  edited_at: Date | string | null;
  deleted_at: Date | string | null;
  reply_to_id: string | null;
  thread_root_id: string | null;
  reply_count: number;
  last_reply_at: Date | string | null;
  mentions: string[] | null;
  /** Totals per emoji (absent: none, e.g. a message just written). */
  reactions?: ReactionSummary[] | null;
}

/**
 * The reaction totals of the message aliased `alias`, as one JSON column `reactions`: per emoji its
 * count and users, in order of first use.
 */
export function reactionsColumn(alias: string): string {
  return `(SELECT COALESCE(json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'userIDs', r.users)
                   ORDER BY r.first_at, r.emoji), '[]'::json)
             FROM (SELECT emoji, count(*)::int AS n, array_agg(user_id ORDER BY created_at, user_id) AS users,
                          min(emoji_first_at) AS first_at
                     FROM message_reactions WHERE message_id = ${alias}.id GROUP BY emoji) r) AS reactions`;
}

/** Every column of a MessageRow for `alias` (reactions included). */
export function messageColumns(alias: string): string {
  return [
    'id',
    'conversation_id',
    'seq',
    'sender_id',
    'recipient_id',
    'group_id',
    'content',
    'message_type',
    'client_message_id',
    'created_at',
    'version',
    'edited_at',
    'deleted_at',
    'reply_to_id',
    'thread_root_id',
    'reply_count',
    'last_reply_at',
    'mentions',
  ]
    .map((column) => `${alias}.${column}`)
    .concat(reactionsColumn(alias))
    .join(', ');
}

/** For `SELECT ${MESSAGE_COLUMNS} FROM messages`. */
export const MESSAGE_COLUMNS = messageColumns('messages');

/** Delivery and read markers of a conversation's active participants. */
export interface ParticipantMarkers {
  userId: string;
  lastDeliveredSeq: number;
  lastReadSeq: number;
}

function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

/**
 * Shapes a row for the wire. `delivered`/`read` come from the markers: for a direct message the
 * recipient's, for a group message all active members other than the sender (false with nobody else).
 */
export function toMessage(
  row: MessageRow,
  markers: ParticipantMarkers[] | undefined,
  attachments: MessageAttachment[] = [],
): Message {
  const seq = Number(row.seq);
  const others = (markers ?? []).filter((m) => m.userId !== row.sender_id);
  const deliveredCount = others.filter(
    (m) => m.lastDeliveredSeq >= seq || m.lastReadSeq >= seq,
  ).length;
  const readCount = others.filter((m) => m.lastReadSeq >= seq).length;
  const deleted = row.deleted_at !== null;
  const message: Message = {
    id: row.id,
    conversationID: row.conversation_id,
    seq,
    senderID: row.sender_id,
    recipientID: row.recipient_id,
    groupID: row.group_id,
    content: deleted ? '' : row.content,
    messageType: row.message_type,
    clientMessageID: row.client_message_id,
    timestamp: new Date(row.created_at).toISOString(),
    delivered: others.length > 0 && deliveredCount === others.length,
    read: others.length > 0 && readCount === others.length,
    attachments: deleted ? [] : attachments,
    version: Number(row.version),
    editedAt: isoOrNull(row.edited_at),
    deleted,
    replyToID: row.reply_to_id,
    threadRootID: row.thread_root_id,
    replyCount: Number(row.reply_count),
    lastReplyAt: isoOrNull(row.last_reply_at),
    mentions: deleted ? [] : (row.mentions ?? []),
    reactions: deleted ? [] : (row.reactions ?? []),
  };
  if (row.group_id) {
    message.deliveredCount = deliveredCount;
    message.readCount = readCount;
  }
  return message;
}
