import type {
  Attachment,
  ConversationChanges,
  ConversationSummary,
  EditMessageRequest,
  ErrorBody,
  Group,
  GroupMember,
  GroupMembership,
  LoginRequest,
  LoginResult,
  Message,
  Pagination,
  PublicUser,
  RegisterRequest,
  SearchMessagesQuery,
  SendMessageRequest,
  TokenPair,
  UnreadSummary,
  User,
  UserStatus,
  CreateGroupRequest,
} from '../../contracts/src';
import { newClientMessageId } from './ids';
import { ApiError, parseRetryAfter } from './api-error';
import {
  resolveRetryOptions,
  withRetry,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './retry';

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export interface HistoryQuery {
  limit?: number;
  before?: number;
  after?: number;
  offset?: number;
}

export interface HttpClientOptions {
  /** e.g. `http://localhost:3000` */
  baseUrl: string;
  /** Defaults to the global fetch (Node 18+, browsers). */
  fetch?: typeof fetch;
  /** How sends are retried on `UNAVAILABLE`, `RATE_LIMITED` and network failures. */
  retry?: RetryOptions;
}

type Query = Record<string, string | number | undefined>;

/**
 * Typed REST client. Keeps the token pair from login/refresh; on a 401 it refreshes once (refresh
 * tokens rotate, so concurrent 401s share one refresh) and retries the request.
 */
export class MessagingHttpClient {
  private tokens: TokenPair | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly retry: ResolvedRetryOptions;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.retry = resolveRetryOptions(options.retry);
  }

  get accessToken(): string | null {
    return this.tokens?.accessToken ?? null;
  }

  setTokens(tokens: TokenPair | null): void {
    this.tokens = tokens;
  }

  // ---- auth
  register(body: RegisterRequest): Promise<User> {
    return this.call('POST', '/api/users/register', { body, auth: false });
  }

  async login(body: LoginRequest): Promise<LoginResult> {
    const result = await this.call<LoginResult>('POST', '/api/users/login', { body, auth: false });
    this.tokens = result;
    return result;
  }

  async refresh(): Promise<TokenPair> {
    if (!this.tokens) {
      throw new ApiError(401, 'UNAUTHORIZED', 'Not signed in');
    }
    const pair = await this.call<TokenPair>('POST', '/api/auth/refresh', {
      body: { refreshToken: this.tokens.refreshToken },
      auth: false,
    });
    this.tokens = pair;
    return pair;
  }

  async logout(): Promise<void> {
    await this.call('POST', '/api/auth/logout');
    this.tokens = null;
  }

  // ---- users
  me(): Promise<User> {
    return this.call('GET', '/api/users/me');
  }

  searchUsers(search?: string, limit?: number): Promise<PublicUser[]> {
    return this.call('GET', '/api/users', { query: { search, limit } });
  }

  getUser(userId: string): Promise<PublicUser> {
    return this.call('GET', `/api/users/${encodeURIComponent(userId)}`);
  }

  getStatus(userId: string): Promise<UserStatus> {
    return this.call('GET', `/api/users/${encodeURIComponent(userId)}/status`);
  }

  // ---- groups
  createGroup(body: CreateGroupRequest): Promise<Group> {
    return this.call('POST', '/api/groups', { body });
  }

  myGroups(): Promise<Group[]> {
    return this.call('GET', '/api/groups');
  }

  getGroup(groupId: string): Promise<Group> {
    return this.call('GET', `/api/groups/${encodeURIComponent(groupId)}`);
  }

  groupMembers(
    groupId: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<Page<GroupMember>> {
    return this.page('GET', `/api/groups/${encodeURIComponent(groupId)}/members`, query);
  }

  joinGroup(groupId: string): Promise<GroupMembership> {
    return this.call('POST', `/api/groups/${encodeURIComponent(groupId)}/join`);
  }

  leaveGroup(groupId: string): Promise<unknown> {
    return this.call('DELETE', `/api/groups/${encodeURIComponent(groupId)}/leave`);
  }

  addMember(groupId: string, userId: string): Promise<GroupMembership> {
    return this.call('POST', `/api/groups/${encodeURIComponent(groupId)}/members`, {
      body: { userID: userId },
    });
  }

  removeMember(groupId: string, userId: string): Promise<unknown> {
    return this.call(
      'DELETE',
      `/api/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`,
    );
  }

  setRole(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupMembership> {
    return this.call(
      'PATCH',
      `/api/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`,
      {
        body: { role },
      },
    );
  }

  // ---- messages
  /**
   * Sends with a clientMessageID (generated unless given), so the retries on `UNAVAILABLE`,
   * `RATE_LIMITED` (after the server's `Retry-After` plus jitter) and network failures can never make a
   * second copy.
   */
  sendMessage(request: SendMessageRequest): Promise<Message> {
    const body = {
      ...request,
      clientMessageID: request.clientMessageID ?? newClientMessageId(),
    };
    return withRetry(() => this.call<Message>('POST', '/api/messages/send', { body }), this.retry);
  }

  history(conversationRef: string, query: HistoryQuery = {}): Promise<Page<Message>> {
    return this.page('GET', `/api/messages/history/${encodeURIComponent(conversationRef)}`, {
      ...query,
    });
  }

  unread(): Promise<UnreadSummary> {
    return this.call('GET', '/api/messages/unread');
  }

  markMessageRead(
    messageId: string,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    return this.call('PUT', `/api/messages/${encodeURIComponent(messageId)}/read`);
  }

  conversations(
    query: { limit?: number; cursor?: string } = {},
  ): Promise<Page<ConversationSummary>> {
    return this.page('GET', '/api/conversations', query);
  }

  markConversationRead(
    conversationRef: string,
    seq?: number,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    return this.call('POST', `/api/conversations/${encodeURIComponent(conversationRef)}/read`, {
      body: seq === undefined ? {} : { seq },
    });
  }

  // ---- message lifecycle
  /** Edits a message's content (and mentions); the sender only. */
  editMessage(messageId: string, body: EditMessageRequest): Promise<Message> {
    return this.call('PATCH', `/api/messages/${encodeURIComponent(messageId)}`, { body });
  }

  /** Turns a message into a tombstone (same id and seq); idempotent. */
  deleteMessage(messageId: string): Promise<void> {
    return this.call('DELETE', `/api/messages/${encodeURIComponent(messageId)}`);
  }

  /** Adds the caller's reaction (one emoji or a `:short_name:`); idempotent. */
  addReaction(messageId: string, emoji: string): Promise<Message> {
    return this.call('PUT', this.reactionPath(messageId, emoji));
  }

  /** Removes the caller's reaction; idempotent. */
  removeReaction(messageId: string, emoji: string): Promise<Message> {
    return this.call('DELETE', this.reactionPath(messageId, emoji));
  }

  /** A thread's replies, oldest first (`after` = seq). */
  replies(
    messageId: string,
    query: { limit?: number; after?: number } = {},
  ): Promise<Page<Message>> {
    return this.page('GET', `/api/messages/${encodeURIComponent(messageId)}/replies`, {
      ...query,
    });
  }

  /** Every message changed after `sinceVersion`, in version order, each once in its current state. */
  changes(
    conversationRef: string,
    query: { sinceVersion: number; limit?: number },
  ): Promise<ConversationChanges> {
    return this.call('GET', `/api/conversations/${encodeURIComponent(conversationRef)}/changes`, {
      query: { ...query },
    });
  }

  /** Every conversation's current version, paging `GET /api/conversations` to the end. */
  async conversationVersions(): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    let cursor: string | undefined;
    for (let guard = 0; guard < 10_000; guard += 1) {
      const page = await this.conversations({ limit: 100, cursor });
      for (const conversation of page.items) {
        versions[conversation.id] = conversation.version;
      }
      if (!page.pagination.hasMore || !page.pagination.nextCursor) {
        break;
      }
      cursor = String(page.pagination.nextCursor);
    }
    return versions;
  }

  // ---- attachments, search, blocking
  /** Uploads one file (multipart, part `file`); send its `id` in `attachmentIDs` within 24 hours. */
  uploadAttachment(file: Blob, filename: string): Promise<Attachment> {
    const form = new FormData();
    form.append('file', file, filename);
    return this.call('POST', '/api/attachments', { body: form });
  }

  searchMessages(query: SearchMessagesQuery): Promise<Page<Message>> {
    return this.page('GET', '/api/messages/search', { ...query });
  }

  block(userId: string): Promise<void> {
    return this.call('PUT', `/api/users/${encodeURIComponent(userId)}/block`);
  }

  unblock(userId: string): Promise<void> {
    return this.call('DELETE', `/api/users/${encodeURIComponent(userId)}/block`);
  }

  blockedUsers(): Promise<PublicUser[]> {
    return this.call('GET', '/api/users/blocked');
  }

  // ---- plumbing
  private reactionPath(messageId: string, emoji: string): string {
    return `/api/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`;
  }

  private async page<T>(method: string, path: string, query: Query): Promise<Page<T>> {
    const envelope = await this.send<T[]>(method, path, { query });
    return { items: envelope.data, pagination: envelope.pagination as Pagination };
  }

  private async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; auth?: boolean } = {},
  ): Promise<T> {
    return (await this.send<T>(method, path, options)).data;
  }

  private async send<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; auth?: boolean },
    retried = false,
  ): Promise<{ data: T; pagination?: Pagination }> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) {
        url.searchParams.set(key, String(value));
      }
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const form = options.body instanceof FormData ? options.body : null;
    if (options.body !== undefined && !form) {
      headers['content-type'] = 'application/json';
    }
    if (options.auth !== false && this.tokens) {
      headers.authorization = `Bearer ${this.tokens.accessToken}`;
    }
    const response = await this.fetchFn(url, {
      method,
      headers,
      // A FormData body sets its own multipart content type and boundary.
      body: form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    if (response.status === 204) {
      return { data: undefined as T };
    }
    const payload = (await response.json().catch(() => null)) as
      | { success: true; data: T; pagination?: Pagination }
      | { success: false; error: ErrorBody }
      | null;
    if (response.ok && payload?.success) {
      return payload;
    }
    if (response.status === 401 && options.auth !== false && this.tokens && !retried) {
      this.refreshing ??= this.refresh()
        .then(() => undefined)
        .finally(() => {
          this.refreshing = null;
        });
      await this.refreshing;
      return this.send(method, path, options, true);
    }
    const error = payload && !payload.success ? payload.error : undefined;
    throw new ApiError(
      response.status,
      error?.code ?? (response.status === 503 ? 'UNAVAILABLE' : 'INTERNAL'),
      error?.message ?? `HTTP ${response.status}`,
      error?.details,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
}
