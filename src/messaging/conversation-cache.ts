import { Injectable } from '@nestjs/common';
import type { ConversationAccess } from './conversation-access.service';

/** A caller's access to a conversation is re-checked at least this often. */
const ACCESS_TTL_MS = 10_000;
/** Group participant lists are re-read at least this often (and at once after a local change). */
const GROUP_PARTICIPANTS_TTL_MS = 2_000;
const MAX_ENTRIES = 200_000;
/** Recent messages whose sender is remembered per conversation. */
const RECENT_SENDERS = 256;

interface Expiring<T> {
  value: T;
  expires: number;
}

/**
 * Short-lived answers for the hot paths that run once per delivered message (delivery receipts,
 * typing): who may act in a conversation and who takes part in it. Membership changes made on this
 * instance invalidate at once; changes made elsewhere are seen within the TTL, which only affects who
 * is told about a receipt or a typing indicator, never who may read or receive messages.
 */
@Injectable()
export class ConversationCache {
  private readonly access = new Map<string, Expiring<ConversationAccess>>();
  private readonly participants = new Map<string, Expiring<string[]>>();
  /** Highest seq known per conversation, to clamp client-supplied seqs without a query. */
  private readonly lastSeq = new Map<string, number>();
  /** Who sent the recent messages of each conversation (seq -> sender), for delivery receipts. */
  private readonly senders = new Map<string, Map<number, string>>();

  getAccess(userId: string, ref: string): ConversationAccess | undefined {
    const hit = this.access.get(`${userId}:${ref}`);
    return hit && hit.expires > Date.now() ? hit.value : undefined;
  }

  setAccess(userId: string, ref: string, access: ConversationAccess): void {
    this.bound(this.access);
    this.access.set(`${userId}:${ref}`, { value: access, expires: Date.now() + ACCESS_TTL_MS });
    if (access.active) {
      this.noteSeq(access.conversationId, access.visibleSeq);
    }
  }

  getParticipants(conversationId: string): string[] | undefined {
    const hit = this.participants.get(conversationId);
    return hit && hit.expires > Date.now() ? hit.value : undefined;
  }

  setParticipants(conversationId: string, ids: string[], direct: boolean): void {
    this.bound(this.participants);
    // The two people of a direct conversation never change.
    const ttl = direct ? Number.MAX_SAFE_INTEGER : GROUP_PARTICIPANTS_TTL_MS;
    this.participants.set(conversationId, { value: ids, expires: Date.now() + ttl });
  }

  noteSeq(conversationId: string, seq: number): void {
    if ((this.lastSeq.get(conversationId) ?? 0) < seq) {
      this.bound(this.lastSeq);
      this.lastSeq.set(conversationId, seq);
    }
  }

  /** Remembers who sent `seq` (the newest RECENT_SENDERS per conversation are kept). */
  recordSender(conversationId: string, seq: number, senderId: string): void {
    let recent = this.senders.get(conversationId);
    if (!recent) {
      this.bound(this.senders);
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
    this.participants.delete(event.conversationId);
    for (const ref of [event.conversationId, event.groupId]) {
      this.access.delete(`${event.userId}:${ref}`);
    }
  }

  private bound(map: Map<string, unknown>): void {
    if (map.size >= MAX_ENTRIES) {
      map.clear();
    }
  }
}
