import type { Message, MessageAttachment } from '../../libs/contracts/src';

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
}

export const MESSAGE_COLUMNS =
  'id, conversation_id, seq, sender_id, recipient_id, group_id, content, message_type, client_message_id, created_at';

/** Delivery and read markers of a conversation's active participants. */
export interface ParticipantMarkers {
  userId: string;
  lastDeliveredSeq: number;
  lastReadSeq: number;
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
  const message: Message = {
    id: row.id,
    conversationID: row.conversation_id,
    seq,
    senderID: row.sender_id,
    recipientID: row.recipient_id,
    groupID: row.group_id,
    content: row.content,
    messageType: row.message_type,
    clientMessageID: row.client_message_id,
    timestamp: new Date(row.created_at).toISOString(),
    delivered: others.length > 0 && deliveredCount === others.length,
    read: others.length > 0 && readCount === others.length,
    attachments,
  };
  if (row.group_id) {
    message.deliveredCount = deliveredCount;
    message.readCount = readCount;
  }
  return message;
}
