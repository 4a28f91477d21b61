import type { Message } from '../../libs/contracts/src';

/**
 * Domain events the Messaging module publishes (on @nestjs/event-emitter) after the transaction that
 * caused them has committed. The realtime layer subscribes; Messaging never imports a gateway.
 */
export const MESSAGING_EVENTS = {
  messageCreated: 'message.created',
  conversationDelivered: 'conversation.delivered',
  conversationRead: 'conversation.read',
  messageUpdated: 'message.updated',
  messageDeleted: 'message.deleted',
} as const;

/** An edit, a reaction change, or a thread root whose reply summary changed: the whole new state. */
export interface MessageUpdatedEvent {
  message: Message;
  /** Every active participant of the conversation (each gets it on every device). */
  participantIds: string[];
}

/** A message became a tombstone. */
export interface MessageDeletedEvent {
  conversationId: string;
  id: string;
  seq: number;
  version: number;
  participantIds: string[];
}

export interface MessageCreatedEvent {
  message: Message;
  /** Active participants other than the sender (each gets the message on every device). */
  recipientIds: string[];
  senderId: string;
  /** The socket that sent it (it gets the ack, not an echo), when sent over a socket. */
  originSocketId?: string;
  /** `performance.now()` at commit, for the commit -> emit latency histogram. */
  committedAt: number;
  /** True when this is a resend that found the stored message (delivered again, same id). */
  replay: boolean;
}

export interface ConversationMarkerEvent {
  conversationId: string;
  userId: string;
  seq: number;
  /** ISO time the marker moved. */
  at: string;
  /** Active participants other than `userId` (who are told). */
  notifyIds: string[];
}
