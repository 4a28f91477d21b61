import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { boundedLru } from '../common/bounded-lru';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';

/** A participant's key in the recorded and pending marks. */
function markKey(conversationId: string, userId: string): string {
  return `${conversationId}:${userId}`;
}

/** How often coalesced delivery markers are written. */
const FLUSH_INTERVAL_MS = 100;
/** Participants whose highest mark is remembered; past it the least recently advanced go first. */
const MAX_RECORDED = 200_000;

/**
 * Delivery markers arrive once per message per device; writing each would cost a transaction per
 * delivery. They are coalesced in memory (highest seq per participant) and written together every
 * 100 ms and at shutdown, so database work follows active (user, conversation) pairs, not traffic.
 * A crash loses at most the last interval of markers, which only makes the next connect deliver those
 * messages again (at-least-once), never lose one.
 */
@Injectable()
export class DeliveryMarkerBuffer
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(DeliveryMarkerBuffer.name);
  private pending = new Map<string, { conversationId: string; userId: string; seq: number }>();
  /**
   * Highest mark recorded per participant on this instance. Bounded, and evicting one at a time: a
   * clear() would make every receipt after it look new at once (a burst of duplicate announcements
   * and queries). An evicted mark is long written; the database has it.
   */
  private readonly recorded = boundedLru<string, number>(MAX_RECORDED);
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly members: ConversationMembersRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush({ skipLocked: true }), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Written while the database is certainly still open (shutdown hooks of other modules may close it). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /** Whatever arrived while the sockets were closing. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.flush().catch(() => undefined);
  }

  /**
   * Records delivery up to `seq`; returns false when this instance has already recorded an equal or
   * higher mark (written or not), so each advance is announced once.
   */
  advance(conversationId: string, userId: string, seq: number): boolean {
    return this.advanceFrom(conversationId, userId, 0, seq) < seq;
  }

  /**
   * Where the participant's delivery mark stands, `floor` (the stored markers) or the mark this
   * instance recorded, whichever is higher; records `seq` when it is higher still. One lookup for
   * the receipt path's read and write.
   */
  advanceFrom(conversationId: string, userId: string, floor: number, seq: number): number {
    const key = markKey(conversationId, userId);
    const from = Math.max(floor, this.recorded.get(key) ?? 0);
    if (seq > from) {
      this.recorded.set(key, seq);
      this.queue(key, conversationId, userId, seq);
    }
    return from;
  }

  /** The highest mark this instance has recorded, so readers see deliveries before they are written. */
  recordedSeq(conversationId: string, userId: string): number {
    return this.recorded.get(markKey(conversationId, userId)) ?? 0;
  }

  /** A mark a flush could not write: pending again, unless a newer one for it arrived meanwhile. */
  private requeue(mark: { conversationId: string; userId: string; seq: number }): void {
    this.queue(
      markKey(mark.conversationId, mark.userId),
      mark.conversationId,
      mark.userId,
      mark.seq,
    );
  }

  private queue(key: string, conversationId: string, userId: string, seq: number): void {
    const current = this.pending.get(key);
    if (!current || current.seq < seq) {
      this.pending.set(key, { conversationId, userId, seq });
    }
  }

  /**
   * Writes what is pending. The periodic flush skips rows a message write holds right now (they go
   * in the next one, 100 ms later) rather than queue behind it and then hold up the next commit; the
   * flushes at shutdown wait for them.
   */
  flush({ skipLocked }: { skipLocked: boolean } = { skipLocked: false }): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending(skipLocked));
    return this.flushing;
  }

  private async writePending(skipLocked: boolean): Promise<void> {
    if (!this.pending.size) {
      return;
    }
    const marks = [...this.pending.values()];
    this.pending = new Map();
    try {
      const skipped = await this.members.writeDeliveryMarks(marks, { skipLocked });
      for (const mark of skipped) {
        this.requeue(mark);
      }
    } catch (error) {
      this.logger.warn(`Delivery markers not written, retrying next flush: ${String(error)}`);
      for (const mark of marks) {
        this.requeue(mark);
      }
    }
  }
}
