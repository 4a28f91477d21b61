/** Request bodies, identical over HTTP and Socket.IO. */
import type { GroupVisibility, MessageType } from './models';

export interface RegisterRequest {
  username: string;
  email: string;
  password: string;
}

export interface LoginRequest {
  username?: string;
  email?: string;
  password: string;
}

export interface RefreshRequest {
  refreshToken: string;
}

export interface CreateGroupRequest {
  name: string;
  description?: string | null;
  visibility?: GroupVisibility;
}

export interface AddMemberRequest {
  userID: string;
}

export interface UpdateMemberRoleRequest {
  role: 'admin' | 'member';
}

export interface SendMessageRequest {
  recipientID?: string;
  groupID?: string;
  /** May be empty (or left out) when attachmentIDs are given. */
  content?: string;
  messageType?: MessageType;
  clientMessageID?: string;
  /** <= 10 of the sender's uploads not yet attached to a message. */
  attachmentIDs?: string[];
  /** A message of the same conversation: this one becomes a reply in its thread. */
  replyToID?: string;
  /** User ids (<= 50); only current participants other than the sender are kept. */
  mentions?: string[];
}

export interface SearchMessagesQuery {
  q: string;
  conversationID?: string;
  limit?: number;
  cursor?: string;
}

export interface EditMessageRequest {
  content: string;
  mentions?: string[];
}

export interface MarkConversationReadRequest {
  seq?: number;
}
