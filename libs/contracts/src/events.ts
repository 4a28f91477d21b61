/** The Socket.IO event contract on path `/ws`. */
import type { ErrorBody } from './error-codes';
import type { GroupMembership, Message, PresenceStatus } from './models';
import type { SendMessageRequest } from './requests';

export const WS_PATH = '/ws';

export type Ack<T> =
  | { success: true; data: T }
  | { success: false; error: Pick<ErrorBody, 'code' | 'message' | 'details'> };
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

export interface SyncRequest {
  conversationID: string;
  after: number;
  limit?: number;
}

export interface SyncResult {
  messages: Message[];
  hasMore: boolean;
}

export interface GroupRequest {
  groupID: string;
}

export interface SetStatusRequest {
  status: 'online' | 'away';
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
  pong: (payload: { timestamp: string }) => void;
  error: (payload: ServerErrorEvent) => void;
}

/** Events a client emits; each takes an acknowledgement callback. */
export interface ClientToServerEvents {
  send_message: (payload: SendMessageRequest, ack?: AckCallback<Message>) => void;
  message_delivered: (payload: ConversationSeq, ack?: AckCallback<ConversationSeq>) => void;
  mark_read: (payload: ConversationSeq, ack?: AckCallback<ConversationSeq>) => void;
  typing: (payload: TypingRequest, ack?: AckCallback<null>) => void;
  join_group: (payload: GroupRequest, ack?: AckCallback<GroupMembership>) => void;
  leave_group: (payload: GroupRequest, ack?: AckCallback<null>) => void;
  set_status: (payload: SetStatusRequest, ack?: AckCallback<{ status: PresenceStatus }>) => void;
  sync: (payload: SyncRequest, ack?: AckCallback<SyncResult>) => void;
  ping: (payload?: unknown, ack?: AckCallback<{ timestamp: string }>) => void;
}
