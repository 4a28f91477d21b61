import type { Message, MessageDeletedEvent } from '../../contracts/src';

/** An edit, reaction change, reply summary change or deletion, with the message's current state. */
export interface MessageChange {
  kind: 'updated' | 'deleted';
  message: Message;
}

/** What the client holds of one conversation. */
export interface ConversationState {
  /** Highest seq handed to the application in order. */
  last: number | undefined;
  /** Arrived ahead of a gap, waiting for it to fill. */
  pending: Map<number, Message>;
  syncing: boolean;
  /** Highest version up to which every change has been applied (gap-free). */
  version: number | undefined;
  /** Each message held, in its current state, by id. */
  messages: Map<string, Message>;
  /** A `changes` pull is running; `again` asks for one more when it ends. */
  pulling: boolean;
  again: boolean;
  /** A page of changes is being applied (its versions are not gaps). */
  applying: boolean;
}

/** What the timeline asks of its owner; it never talks to the network itself. */
export interface TimelineHooks {
  /** A message reaches the application, once, in seq order. */
  delivered(message: Message): void;
  /** A held message changed (a newer version). */
  changed(change: MessageChange): void;
  /** A seq gap: page the messages after `lastSeq` until it closes. */
  seqGap(conversationId: string): void;
  /** A version was skipped: pull the conversation's changes. */
  versionGap(conversationId: string): void;
}

const SEEN_LIMIT = 10_000;

/**
 * The in-memory, per-conversation state that turns at-least-once, possibly out-of-order pushes into
 * exactly-once, in-order messages and changes: de-duplication by id, held messages ahead of a seq gap,
 * and the gap-free version of applied changes. Network work (paging a gap, pulling changes) is asked
 * of the owner through the hooks.
 */
export class ConversationTimeline {
  private readonly conversations = new Map<string, ConversationState>();
  private readonly seen = new Set<string>();

  constructor(private readonly hooks: TimelineHooks) {}

  /** The state of a conversation, created empty on first use. */
  state(conversationId: string): ConversationState {
    let state = this.conversations.get(conversationId);
    if (!state) {
      state = {
        last: undefined,
        pending: new Map(),
        syncing: false,
        version: undefined,
        messages: new Map(),
        pulling: false,
        again: false,
        applying: false,
      };
      this.conversations.set(conversationId, state);
    }
    return state;
  }

  /** Every conversation held, with its state. */
  entries(): IterableIterator<[string, ConversationState]> {
    return this.conversations.entries();
  }

  get size(): number {
    return this.conversations.size;
  }

  peek(conversationId: string): ConversationState | undefined {
    return this.conversations.get(conversationId);
  }

  /** A message from anywhere (socket, sync page, HTTP): handed over once, in order, or held. */
  ingest(message: Message): void {
    const state = this.state(message.conversationID);
    if (this.seen.has(message.id) || (state.last !== undefined && message.seq <= state.last)) {
      // Already handed over: a redelivery may still carry a newer state.
      this.applyChange(message);
      return;
    }
    if (state.last === undefined || message.seq === state.last + 1) {
      this.deliver(state, message);
      this.drain(state);
      return;
    }
    state.pending.set(message.seq, message);
    this.hooks.seqGap(message.conversationID);
  }

  /**
   * Applies a message's newer state (an edit, reactions, a reply summary, a tombstone): only when its
   * version is above the held message's. A message the app has not been handed yet (seq ahead) goes
   * through `ingest` instead.
   */
  applyChange(message: Message): void {
    const state = this.state(message.conversationID);
    const held = state.messages.get(message.id);
    if (
      !held &&
      !this.seen.has(message.id) &&
      (state.last === undefined || message.seq > state.last)
    ) {
      this.ingest(message);
      return;
    }
    if (held && held.version >= message.version) {
      return;
    }
    state.messages.set(message.id, message);
    this.noteVersion(message.conversationID, state, message.version);
    this.hooks.changed({ kind: message.deleted ? 'deleted' : 'updated', message });
  }

  applyDeletion(event: MessageDeletedEvent): void {
    const state = this.state(event.conversationID);
    const held = state.messages.get(event.id);
    if (held && held.version >= event.version) {
      return;
    }
    if (held) {
      const tombstone: Message = {
        ...held,
        version: event.version,
        deleted: true,
        content: '',
        reactions: [],
        mentions: [],
        attachments: [],
      };
      state.messages.set(event.id, tombstone);
      this.noteVersion(event.conversationID, state, event.version);
      this.hooks.changed({ kind: 'deleted', message: tombstone });
      return;
    }
    // Never held: its tombstone comes with the changes a gap pulls.
    this.noteVersion(event.conversationID, state, event.version);
  }

  private deliver(state: ConversationState, message: Message): void {
    state.last = message.seq;
    state.pending.delete(message.seq);
    const held = state.messages.get(message.id);
    if (!held || held.version < message.version) {
      state.messages.set(message.id, message);
    }
    this.noteVersion(message.conversationID, state, message.version);
    this.seen.add(message.id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) {
        this.seen.delete(oldest);
      }
    }
    this.hooks.delivered(message);
  }

  private drain(state: ConversationState): void {
    while (state.last !== undefined && state.pending.has(state.last + 1)) {
      this.deliver(state, state.pending.get(state.last + 1) as Message);
    }
  }

  /** Advances the gap-free version, or asks for a pull when a version was skipped. */
  private noteVersion(conversationId: string, state: ConversationState, version: number): void {
    if (state.applying || typeof version !== 'number') {
      return;
    }
    if (state.version === undefined || version === state.version + 1) {
      state.version = Math.max(state.version ?? 0, version);
      return;
    }
    if (version > state.version + 1) {
      this.hooks.versionGap(conversationId);
    }
  }
}
