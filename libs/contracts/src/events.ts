/** The Socket.IO event contract on path `/ws`. */
import type { ErrorBody } from './error-codes';
import type { ConversationChanges, GroupMembership, Message, PresenceStatus } from './models';
import type { EditMessageRequest, SendMessageRequest } from './requests';

export const WS_PATH = '/ws';

/** The error half of an acknowledgement: the HTTP error body, plus a retry hint when one applies. */
export type AckError = Pick<ErrorBody, 'code' | 'message' | 'details'> & {
  /** RATE_LIMITED / UNAVAILABLE: wait at least this long before retrying. */
  retryAfterMs?: number;
};

export type Ack<T> = { success: true; data: T } | { success: false; error: AckError };
export type AckCallback<T> = (response: Ack<T>) => void;

export interface ConnectedEvent {
  userID: string;
  timestamp: string;
}

export interface ConversationSeq {
  conversationID: string;
  seq: number;
}

export interface MessageDeliveredEvent {
  conversationID: string;
  seq: number;
  userID: string;
  deliveredAt: string;
}

export interface MessageReadEvent {
  conversationID: string;
  seq: number;
  userID: string;
  readAt: string;
}

export interface TypingRequest {
  conversationID: string;
  isTyping: boolean;
}

export interface TypingEvent {
  conversationID: string;
  userID: string;
  isTyping: boolean;
}

export interface PresenceEvent {
  userID: string;
  status: PresenceStatus;
  lastSeen: string | null;
}

export interface GroupMemberEvent {
  groupID: string;
  userID: string;
}

export interface SyncRequiredEvent {
  conversationID: string;
  after: number;
  upTo: number;
}

/**
 * Exactly one of `after` (messages with a greater seq, oldest first) and `sinceVersion` (what
 * `GET /api/conversations/{id}/changes` returns).
 */
export interface SyncRequest {
  conversationID: string;
  after?: number;
  sinceVersion?: number;
  limit?: number;
}

export interface MessageRef {
  messageID: string;
}

export interface EditMessageSocketRequest extends EditMessageRequest, MessageRef {}

export interface ReactionRequest extends MessageRef {
  /** One emoji or a :short_name:. */
  emoji: string;
}

/** An edit, a reaction change, or a thread root whose reply summary changed. */
export interface MessageUpdatedEvent {
  message: Message;
}

/** A message became a tombstone (same id and seq). */
export interface MessageDeletedEvent {
  conversationID: string;
  id: string;
  seq: number;
  version: number;
}

export interface SyncResult {
  messages: Message[];
  hasMore: boolean;
}

export interface GroupRequest {
  groupID: string;
}

export interface LeaveGroupResult {
  groupID: string;
  userID: string;
  left: true;
  /** Set when the leaver was the owner and ownership passed on. */
  newOwnerID: string | null;
}

export interface SetStatusRequest {
  status: 'online' | 'away';
}

/** Ends the catch-up that follows `connected`: from here on everything arrives live. */
export interface CaughtUpEvent {
  /** Messages pushed by this catch-up. */
  messages: number;
  /** Conversations that also got `sync_required` (more to page with `sync`). */
  syncRequired: number;
}

/** Sent before the server closes every socket on shutdown: reconnect (to any instance) after a pause. */
export interface ShutdownEvent {
  reconnect: true;
  /** Suggested delay before reconnecting, with jitter on top. */
  retryAfterMs: number;
}

export interface ServerErrorEvent {
  code: ErrorBody['code'];
  message: string;
  event?: string;
}

/** Events the server emits. */
export interface ServerToClientEvents {
  connected: (payload: ConnectedEvent) => void;
  message: (payload: Message) => void;
  message_delivered: (payload: MessageDeliveredEvent) => void;
  message_read: (payload: MessageReadEvent) => void;
  typing: (payload: TypingEvent) => void;
  presence: (payload: PresenceEvent) => void;
  group_member_joined: (payload: GroupMemberEvent) => void;
  group_member_left: (payload: GroupMemberEvent) => void;
  sync_required: (payload: SyncRequiredEvent) => void;
  caught_up: (payload: CaughtUpEvent) => void;
  pong: (payload: { timestamp: string }) => void;
  shutdown: (payload: ShutdownEvent) => void;
  error: (payload: ServerErrorEvent) => void;
  message_updated: (payload: MessageUpdatedEvent) => void;
  message_deleted: (payload: MessageDeletedEvent) => void;
}

/** Events a client emits; each takes an acknowledgement callback. */
export interface ClientToServerEvents {
  send_message: (payload: SendMessageRequest, ack?: AckCallback<Message>) => void;
  message_delivered: (payload: ConversationSeq, ack?: AckCallback<ConversationSeq>) => void;
  mark_read: (payload: ConversationSeq, ack?: AckCallback<ConversationSeq>) => void;
  typing: (payload: TypingRequest, ack?: AckCallback<null>) => void;
  join_group: (payload: GroupRequest, ack?: AckCallback<GroupMembership>) => void;
  leave_group: (payload: GroupRequest, ack?: AckCallback<LeaveGroupResult>) => void;
  set_status: (payload: SetStatusRequest, ack?: AckCallback<{ status: PresenceStatus }>) => void;
  sync: (payload: SyncRequest, ack?: AckCallback<SyncResult | ConversationChanges>) => void;
  edit_message: (payload: EditMessageSocketRequest, ack?: AckCallback<Message>) => void;
  delete_message: (payload: MessageRef, ack?: AckCallback<null>) => void;
  add_reaction: (payload: ReactionRequest, ack?: AckCallback<Message>) => void;
  remove_reaction: (payload: ReactionRequest, ack?: AckCallback<Message>) => void;
  ping: (payload?: unknown, ack?: AckCallback<{ timestamp: string }>) => void;
}

export type ClientEventName = keyof ClientToServerEvents;

/** Every event name a client may emit; anything else gets a VALIDATION_FAILED error. */
export const CLIENT_EVENT_NAMES = [
  'send_message',
  'message_delivered',
  'mark_read',
  'typing',
  'join_group',
  'leave_group',
  'set_status',
  'sync',
  'edit_message',
  'delete_message',
  'add_reaction',
  'remove_reaction',
  'ping',
] as const satisfies readonly (keyof ClientToServerEvents)[];

/** Every event name the server emits. */
export const SERVER_EVENT_NAMES = [
  'connected',
  'message',
  'message_delivered',
  'message_read',
  'typing',
  'presence',
  'group_member_joined',
  'group_member_left',
  'sync_required',
  'caught_up',
  'pong',
  'shutdown',
  'error',
  'message_updated',
  'message_deleted',
] as const satisfies readonly (keyof ServerToClientEvents)[];
