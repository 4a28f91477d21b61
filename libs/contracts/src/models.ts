/** Resource shapes as they travel over HTTP and Socket.IO. Times are ISO 8601 UTC strings. */

export type PresenceStatus = 'online' | 'away' | 'offline';
/** Every message type, in one place (validation, docs and the database check follow it). */
export const MESSAGE_TYPES = ['text', 'image', 'file'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export type GroupVisibility = 'public' | 'private';
export type GroupRole = 'owner' | 'admin' | 'member';
export type ConversationType = 'direct' | 'group';

/** The caller's own account. */
export interface User {
  id: string;
  username: string;
  email: string;
  status: PresenceStatus;
  lastSeen: string | null;
  createdAt: string;
}

/** What anyone signed in may see of another user. */
export interface PublicUser {
  id: string;
  username: string;
  status: PresenceStatus;
  lastSeen: string | null;
}

export interface UserStatus {
  id: string;
  username: string;
  status: PresenceStatus;
  lastSeen: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

export interface LoginResult extends TokenPair {
  user: User;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  visibility: GroupVisibility;
  createdBy: string;
  memberCount: number;
  conversationID: string;
  createdAt: string;
}

export interface GroupMember {
  userID: string;
  username: string;
  role: GroupRole;
  status: PresenceStatus;
  joinedAt: string;
}

export interface GroupMembership {
  groupID: string;
  userID: string;
  role: GroupRole;
  joinedAt: string;
}

/** A file as a message carries it. `width`/`height` for images, else null. */
export interface MessageAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
}

/** `POST /api/attachments`: the stored upload. */
export interface Attachment extends MessageAttachment {
  sha256: string;
}

export interface Message {
  id: string;
  conversationID: string;
  seq: number;
  senderID: string;
  recipientID: string | null;
  groupID: string | null;
  content: string;
  messageType: MessageType;
  clientMessageID: string | null;
  timestamp: string;
  delivered: boolean;
  read: boolean;
  /** Group messages only: members other than the sender who received it. */
  deliveredCount?: number;
  /** Group messages only: members other than the sender who read it. */
  readCount?: number;
  /** Files sent with the message, in the order given on send (empty for none). */
  attachments: MessageAttachment[];
  /** The conversation's version when this message last changed (gap-free per conversation). */
  version: number;
  /** Null until edited. */
  editedAt: string | null;
  /** A tombstone: content "", no reactions, mentions or attachments; same id and seq. */
  deleted: boolean;
  /** The message this one replies to. */
  replyToID: string | null;
  /** The top message of the thread (null unless a reply). */
  threadRootID: string | null;
  /** Thread roots: how many replies the thread has. */
  replyCount: number;
  lastReplyAt: string | null;
  /** Mentioned user ids (current participants). */
  mentions: string[];
  /** Totals per emoji, in order of first use. */
  reactions: ReactionSummary[];
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  userIDs: string[];
}

/** `GET /api/conversations/{id}/changes` and socket `sync` with `sinceVersion`. */
export interface ConversationChanges {
  /** Every message changed after `sinceVersion`, in version order, each once in its current state. */
  messages: Message[];
  /** The version the client has reached once it has applied this page. */
  version: number;
  hasMore: boolean;
}

export interface UnreadConversation {
  conversationID: string;
  unreadCount: number;
  lastReadSeq: number;
  lastSeq: number;
  /** Live messages above the read marker that mention the caller. */
  mentionCount: number;
}

export interface UnreadSummary {
  total: number;
  /** Sum of mentionCount. */
  mentions: number;
  conversations: UnreadConversation[];
}

export interface ConversationSummary {
  id: string;
  type: ConversationType;
  /** Direct conversations: the other participant. */
  peer: PublicUser | null;
  /** Group conversations: the group. */
  group: { id: string; name: string; visibility: GroupVisibility } | null;
  lastMessage: Message | null;
  lastSeq: number;
  /** The conversation's current version (see `changes`). */
  version: number;
  unreadCount: number;
  lastReadSeq: number;
  updatedAt: string;
}

export interface ReadMarker {
  conversationID: string;
  userID: string;
  lastReadSeq: number;
  lastDeliveredSeq: number;
}
