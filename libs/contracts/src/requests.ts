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
  content: string;
  messageType?: MessageType;
  clientMessageID?: string;
}

export interface MarkConversationReadRequest {
  seq?: number;
}
