import { Injectable } from '@nestjs/common';
import { boundedLru } from '../common/bounded-lru';
import { SingleFlight } from '../common/concurrency/single-flight';
import type { ConversationAccess } from './conversation-access.service';

/** A caller's access to a conversation is re-checked at least this often. */
const ACCESS_TTL_MS = 10_000;
/** Group participant lists are re-read at least this often (and at once after a local change). */
const GROUP_PARTICIPANTS_TTL_MS = 2_000;
/** Entries per cache; past it the least recently used go first (gradual, never a clear()). */
const MAX_ENTRIES = 200_000;
/** Recent messages whose sender is remembered per conversation. */
const RECENT_SENDERS = 256;

/**
 * Short-lived answers for the hot paths that run once per delivered message (delivery receipts,
 * typing): who may act in a conversation and who takes part in it. Membership changes made on this
 * instance invalidate at once; changes made elsewhere are seen within the TTL, which only affects who
 * is told about a receipt or a typing indicator, never who may read or receive messages.
 *
 * Access is keyed by the resolved conversation id: the reference a client typed (a conversation id,
 * a group id or a peer's id, in any letter case) only points at it, so one eviction covers every
 * spelling. Fills are single-flight per caller and reference.
 */
@Injectable()
export class ConversationCache {
  /** `${userId}:${conversationId}` -> the caller's access. */
  private readonly access = boundedLru<string, ConversationAccess>(MAX_ENTRIES, {
    ttl: ACCESS_TTL_MS,
  });
  /** `${userId}:${lower-case reference}` -> conversation id (a reference never changes target). */
  private readonly refs = boundedLru<string, string>(MAX_ENTRIES);
  private readonly accessFills = new SingleFlight<string, ConversationAccess>();
  /** Bumped by every membership change: a fill that overlapped one does not cache its answer. */
  private membershipChanges = 0;
  private readonly participants = boundedLru<string, string[]>(MAX_ENTRIES);
  /** Highest seq known per conversation, to clamp client-supplied seqs without a query. */
  private readonly lastSeq = boundedLru<string, number>(MAX_ENTRIES);
  /** Who sent the recent messages of each conversation (seq -> sender), for delivery receipts. */
  private readonly senders = boundedLru<string, Map<number, string>>(MAX_ENTRIES);

  getAccess(userId: string, ref: string): ConversationAccess | undefined {
    const conversationId = this.refs.get(refKey(userId, ref)) ?? ref.toLowerCase();
    return this.access.get(`${userId}:${conversationId}`);
  }

  setAccess(userId: string, ref: string, access: ConversationAccess): void {
    this.refs.set(refKey(userId, ref), access.conversationId);
    this.access.set(`${userId}:${access.conversationId}`, access);
    if (access.active) {
      this.noteSeq(access.conversationId, access.visibleSeq);
    }
  }

  /**
   * Loads the caller's access with `load` (concurrent loads of one reference share one call) and
   * caches it, unless a membership changed meanwhile.
   */
  loadAccess(
    userId: string,
    ref: string,
    load: () => Promise<ConversationAccess>,
  ): Promise<ConversationAccess> {
    return this.accessFills.run(refKey(userId, ref), async () => {
      const changesBefore = this.membershipChanges;
      const access = await load();
      if (changesBefore === this.membershipChanges) {
        this.setAccess(userId, ref, access);
      }
      return access;
    });
  }

  getParticipants(conversationId: string): string[] | undefined {
    return this.participants.get(conversationId);
  }

  setParticipants(conversationId: string, ids: string[], direct: boolean): void {
    // The two people of a direct conversation never change.
    this.participants.set(conversationId, ids, {
      ttl: direct ? 0 : GROUP_PARTICIPANTS_TTL_MS,
    });
  }

  noteSeq(conversationId: string, seq: number): void {
    if ((this.lastSeq.get(conversationId) ?? 0) < seq) {
      this.lastSeq.set(conversationId, seq);
    }
  }

  /** Remembers who sent `seq` (the newest RECENT_SENDERS per conversation are kept). */
  recordSender(conversationId: string, seq: number, senderId: string): void {
    let recent = this.senders.get(conversationId);
    if (!recent) {
      recent = new Map();
      this.senders.set(conversationId, recent);
    }
    recent.set(seq, senderId);
    if (recent.size > RECENT_SENDERS) {
      const oldest = recent.keys().next().value;
      if (oldest !== undefined) {
        recent.delete(oldest);
      }
    }
  }

  /** The senders of every message in (after, upTo], or undefined when some are not known here. */
  sendersBetween(conversationId: string, after: number, upTo: number): Set<string> | undefined {
    const recent = this.senders.get(conversationId);
    if (!recent || upTo - after > RECENT_SENDERS) {
      return undefined;
    }
    const found = new Set<string>();
    for (let seq = after + 1; seq <= upTo; seq += 1) {
      const sender = recent.get(seq);
      if (sender === undefined) {
        return undefined;
      }
      found.add(sender);
    }
    return found;
  }

  knownSeq(conversationId: string): number {
    return this.lastSeq.get(conversationId) ?? 0;
  }

  /** A group member joined or left (called by the Groups module after its commit). */
  onMembershipChanged(event: { conversationId: string; groupId: string; userId: string }): void {
    this.membershipChanges += 1;
    this.participants.delete(event.conversationId);
    this.access.delete(`${event.userId}:${event.conversationId.toLowerCase()}`);
  }
}

function refKey(userId: string, ref: string): string {
  return `${userId}:${ref.toLowerCase()}`;
}
