import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  ERROR_STATUS,
  WS_PATH,
  type Ack,
  type ClientToServerEvents,
  type ConversationChanges,
  type Message,
  type SendMessageRequest,
  type ServerToClientEvents,
  type SyncResult,
} from '../../contracts/src';
import { ConversationTimeline, type MessageChange } from './conversation-timeline';
import { newClientMessageId } from './ids';
import { ApiError } from './api-error';
import { Reconnector } from './reconnect';
import {
  resolveRetryOptions,
  withRetry,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './retry';

export type TypedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type SocketFactory = (
  url: string,
  options: Partial<ManagerOptions & SocketOptions>,
) => TypedSocket;

export interface ReconnectOptions {
  /** First delay of the jittered exponential backoff, in ms (default 1,000). */
  baseDelayMs?: number;
  /** Its cap, in ms (default 30,000). */
  maxDelayMs?: number;
}

export interface RealtimeOptions {
  baseUrl: string;
  /** Asked on every (re)connect, so reconnects use the current access token. */
  token: () => string | null;
  /** Confirm delivery of what was handed to `onMessage` (default true). */
  confirmDelivery?: boolean;
  /** Last seq already held per conversation (e.g. from local storage), to detect gaps from the start. */
  lastSeqs?: Record<string, number>;
  /** Ack timeout per try of a request, in ms (default 10,000). */
  ackTimeoutMs?: number;
  /** How sends are retried on `UNAVAILABLE`, `RATE_LIMITED` and ack timeouts (same clientMessageID). */
  retry?: RetryOptions;
  /** Reconnect backoff (jittered, exponential) when the connection drops or is refused for now. */
  reconnect?: ReconnectOptions;
  /**
   * Called once when the server refuses the token on a reconnect; resolve to retry with the new token
   * returned by `token()`, reject to give up (MessagingClient passes its refresh).
   */
  refreshToken?: () => Promise<unknown>;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Version already held per conversation (e.g. from local storage), to detect missed changes. */
  versions?: Record<string, number>;
  /**
   * Each conversation's current version (`GET /api/conversations`); asked on every reconnect so the
   * conversations whose version moved are pulled with `sync {sinceVersion}`. Without it every held
   * conversation is pulled. MessagingClient passes `conversationVersions()`.
   */
  listVersions?: () => Promise<Record<string, number>>;
  /** Creates the socket (default socket.io-client's `io`); tests pass a fake transport. */
  createSocket?: SocketFactory;
}

export type { MessageChange } from './conversation-timeline';

/**
 * A Socket.IO session that turns the server's at-least-once delivery into exactly-once, in-order
 * messages for the application: duplicates are dropped by `id`; a seq gap in a conversation holds the
 * later messages and pages the missing ones with `sync`; `sync_required` after a long absence is paged
 * the same way; delivery is confirmed (coalesced per conversation); sends carry a clientMessageID and
 * are retried with it when no ack comes back, so a resend never makes a second copy.
 */
export class RealtimeSession {
  readonly socket: TypedSocket;
  private readonly timeline: ConversationTimeline;
  private readonly handlers = new Set<(message: Message) => void>();
  private readonly changeHandlers = new Set<(change: MessageChange) => void>();
  private readonly listVersions: (() => Promise<Record<string, number>>) | undefined;
  private connectedOnce = false;
  private readonly toConfirm = new Map<string, number>();
  private confirmScheduled = false;
  private readonly confirmDelivery: boolean;
  private readonly ackTimeoutMs: number;

  private readonly retry: ResolvedRetryOptions;
  private readonly reconnector: Reconnector;
  private failure: Error | undefined;
  private readonly waiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>();

  constructor(options: RealtimeOptions) {
    this.confirmDelivery = options.confirmDelivery ?? true;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.retry = resolveRetryOptions(options.retry);
    this.timeline = new ConversationTimeline({
      delivered: (message) => {
        for (const handler of this.handlers) {
          handler(message);
        }
        this.confirm(message.conversationID, message.seq);
      },
      changed: (change) => {
        for (const handler of this.changeHandlers) {
          handler(change);
        }
      },
      seqGap: (conversationId) => void this.fill(conversationId),
      versionGap: (conversationId) => void this.pullChanges(conversationId),
    });
    const reconnect = {
      baseDelayMs: options.reconnect?.baseDelayMs ?? 1_000,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
    };
    for (const [conversationId, seq] of Object.entries(options.lastSeqs ?? {})) {
      this.timeline.state(conversationId).last = seq;
    }
    for (const [conversationId, version] of Object.entries(options.versions ?? {})) {
      this.timeline.state(conversationId).version = version;
    }
    this.listVersions = options.listVersions;
    const create: SocketFactory =
      options.createSocket ?? ((url, socketOptions) => io(url, socketOptions));
    // Socket.IO's own reconnection (dropped transport) backs off exponentially with +-50 % jitter.
    this.socket = create(options.baseUrl, {
      path: WS_PATH,
      reconnectionDelay: reconnect.baseDelayMs,
      reconnectionDelayMax: reconnect.maxDelayMs,
      randomizationFactor: 0.5,
      ...options.socketOptions,
      auth: (callback) => callback({ token: options.token() }),
    });
    this.socket.on('message', (message) => this.ingest(message));
    this.socket.on('message_updated', ({ message }) => this.timeline.applyChange(message));
    this.socket.on('message_deleted', (event) => this.timeline.applyDeletion(event));
    this.socket.on('sync_required', ({ conversationID, after }) => {
      const state = this.timeline.state(conversationID);
      state.last ??= after;
      void this.fill(conversationID);
    });
    this.reconnector = new Reconnector(this.socket, {
      ...reconnect,
      random: this.retry.random,
      clock: this.retry.clock,
      refreshToken: options.refreshToken,
      onFatal: (error) => this.fail(error),
    });
    this.socket.on('connect', () => {
      this.failure = undefined;
      for (const waiter of this.waiters) {
        waiter.resolve();
      }
      this.waiters.clear();
      for (const [conversationId, state] of this.timeline.entries()) {
        if (state.pending.size) {
          void this.fill(conversationId);
        }
      }
      const reconnect = this.connectedOnce;
      this.connectedOnce = true;
      if (reconnect || this.timeline.size) {
        void this.catchUpChanges();
      }
    });
  }

  /**
   * Resolves once connected. Rejects with ApiError UNAUTHORIZED when the token is refused (after one
   * refresh, when `refreshToken` is set), or with the error when no reconnect will follow.
   */
  ready(): Promise<void> {
    if (this.socket.connected) {
      return Promise.resolve();
    }
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    return new Promise((resolve, reject) => {
      this.waiters.add({ resolve, reject });
    });
  }

  /** Subscribes to a server event (typing, presence, receipts...); returns the unsubscriber. */
  on<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]): () => void {
    const socket = this.socket as unknown as {
      on(name: string, listener: unknown): void;
      off(name: string, listener: unknown): void;
    };
    socket.on(event, handler);
    return () => socket.off(event, handler);
  }

  /** Every message, once, in seq order per conversation. */
  onMessage(handler: (message: Message) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * Every edit, reaction change, reply summary change and deletion, once, with the message's current
   * state; stale and duplicate changes (version not above the held message's) never reach it.
   */
  onChange(handler: (change: MessageChange) => void): () => void {
    this.changeHandlers.add(handler);
    return () => this.changeHandlers.delete(handler);
  }

  /** The version up to which every change of a conversation is applied (persist it with lastSeq). */
  version(conversationId: string): number | undefined {
    return this.timeline.peek(conversationId)?.version;
  }

  /** A held message in its current state. */
  message(conversationId: string, messageId: string): Message | undefined {
    return this.timeline.peek(conversationId)?.messages.get(messageId);
  }

  /** Every held message of a conversation in its current state, in seq order. */
  messages(conversationId: string): Message[] {
    const held = this.timeline.peek(conversationId)?.messages;
    return held ? [...held.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  /** Highest seq handed to the application for a conversation (persist it to detect gaps later). */
  lastSeq(conversationId: string): number | undefined {
    return this.timeline.peek(conversationId)?.last;
  }

  /**
   * Feeds a message received any other way (a push notification, an HTTP response): it goes through
   * the same de-duplication and gap filling as socket messages.
   */
  ingest(message: Message): void {
    this.timeline.ingest(message);
  }

  /**
   * Sends with a clientMessageID (generated unless given) and resends it with the same id until acked:
   * after the server's hint plus jitter on `UNAVAILABLE` / `RATE_LIMITED`, with backoff after an ack
   * timeout, within `retry.maxTotalWaitMs`; any other error is thrown at once.
   */
  send(request: SendMessageRequest): Promise<Message> {
    const body = {
      ...request,
      clientMessageID: request.clientMessageID ?? newClientMessageId(),
    };
    return withRetry(() => this.request<Message>('send_message', body), this.retry);
  }

  markRead(conversationID: string, seq: number): Promise<{ conversationID: string; seq: number }> {
    return this.request('mark_read', { conversationID, seq });
  }

  typing(conversationID: string, isTyping: boolean): Promise<null> {
    return this.request('typing', { conversationID, isTyping });
  }

  setStatus(status: 'online' | 'away'): Promise<{ status: string }> {
    return this.request('set_status', { status });
  }

  joinGroup(groupID: string): Promise<unknown> {
    return this.request('join_group', { groupID });
  }

  leaveGroup(groupID: string): Promise<unknown> {
    return this.request('leave_group', { groupID });
  }

  sync(conversationID: string, after: number, limit = 100): Promise<SyncResult> {
    return this.request('sync', { conversationID, after, limit });
  }

  /** Every message changed after `sinceVersion` (as `GET /api/conversations/{id}/changes`). */
  changes(conversationID: string, sinceVersion: number, limit = 100): Promise<ConversationChanges> {
    return this.request('sync', { conversationID, sinceVersion, limit });
  }

  editMessage(messageID: string, content: string, mentions?: string[]): Promise<Message> {
    return this.request('edit_message', {
      messageID,
      content,
      ...(mentions ? { mentions } : {}),
    });
  }

  deleteMessage(messageID: string): Promise<unknown> {
    return this.request('delete_message', { messageID });
  }

  addReaction(messageID: string, emoji: string): Promise<Message> {
    return this.request('add_reaction', { messageID, emoji });
  }

  removeReaction(messageID: string, emoji: string): Promise<Message> {
    return this.request('remove_reaction', { messageID, emoji });
  }

  /** Closes the socket for good (no reconnect). */
  close(): void {
    this.reconnector.close();
    this.socket.close();
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters) {
      waiter.reject(error);
    }
    this.waiters.clear();
  }

  /** Pages the messages after the last in-order one until the gap is closed. */
  private async fill(conversationId: string): Promise<void> {
    const state = this.timeline.state(conversationId);
    if (state.syncing || !this.socket.connected || state.last === undefined) {
      return;
    }
    state.syncing = true;
    try {
      for (let guard = 0; guard < 1_000; guard += 1) {
        const page = await this.sync(conversationId, state.last);
        for (const message of page.messages) {
          this.ingest(message);
        }
        if (!page.hasMore || !page.messages.length) {
          break;
        }
      }
    } catch {
      // Retried on the next gap or reconnect.
    } finally {
      state.syncing = false;
    }
  }

  /** Pages `sync {sinceVersion}` from the held version until `hasMore` is false, applying each page. */
  private async pullChanges(conversationId: string): Promise<void> {
    const state = this.timeline.state(conversationId);
    if (state.pulling) {
      state.again = true;
      return;
    }
    if (!this.socket.connected || state.version === undefined) {
      return; // pulled on the next connect
    }
    state.pulling = true;
    try {
      do {
        state.again = false;
        for (let guard = 0; guard < 10_000; guard += 1) {
          const page = await this.changes(conversationId, state.version ?? 0);
          state.applying = true;
          try {
            for (const message of page.messages) {
              this.timeline.applyChange(message);
            }
          } finally {
            state.applying = false;
          }
          state.version = Math.max(state.version ?? 0, page.version);
          if (!page.hasMore || !page.messages.length) {
            break;
          }
        }
      } while (state.again);
    } catch {
      // Retried on the next gap or reconnect.
    } finally {
      state.pulling = false;
      state.again = false;
    }
  }

  /** After a (re)connect: pulls the changes of every held conversation whose listed version moved. */
  private async catchUpChanges(): Promise<void> {
    let listed: Record<string, number> | undefined;
    if (this.listVersions) {
      try {
        listed = await this.listVersions();
      } catch {
        listed = undefined; // pull every held conversation instead
      }
    }
    const pulls: Promise<void>[] = [];
    for (const [conversationId, state] of this.timeline.entries()) {
      const current = listed?.[conversationId];
      const moved = !listed || (current !== undefined && current > (state.version ?? current));
      if (state.version !== undefined && moved) {
        pulls.push(this.pullChanges(conversationId));
      }
    }
    await Promise.all(pulls);
  }

  /** Confirms delivery of the highest seq per conversation, once per turn of the event loop. */
  private confirm(conversationID: string, seq: number): void {
    if (!this.confirmDelivery) {
      return;
    }
    this.toConfirm.set(conversationID, Math.max(seq, this.toConfirm.get(conversationID) ?? 0));
    if (this.confirmScheduled) {
      return;
    }
    this.confirmScheduled = true;
    setTimeout(() => {
      this.confirmScheduled = false;
      for (const [id, highest] of this.toConfirm) {
        this.socket.emit('message_delivered', { conversationID: id, seq: highest });
      }
      this.toConfirm.clear();
    }, 0);
  }

  private async request<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
    const timed = this.socket.timeout(this.ackTimeoutMs) as unknown as {
      emitWithAck(name: string, body: unknown): Promise<Ack<T>>;
    };
    const ack = await timed.emitWithAck(event, payload);
    if (ack.success) {
      return ack.data;
    }
    const { code, message, details, retryAfterMs } = ack.error;
    const status = (ERROR_STATUS as Partial<Record<string, number>>)[code] ?? 0;
    throw new ApiError(status, code, message, details, undefined, retryAfterMs);
  }
}
