import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { MessageType } from '../../libs/contracts/src';
import { LoopLagGate } from '../common/concurrency/loop-lag-gate';
import { AppError } from '../common/errors/app-error';
import { isDependencyUnavailable } from '../common/errors/dependency-error';
import { loggableError } from '../common/http/request-id';
import type { RootConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import type { MessageRow } from './message-view';
import { MessagesRepository } from './repositories/messages.repository';

/** A send whose target is resolved and whose body is valid, waiting for the next group commit. */
export interface PendingSend {
  /** The new message's id when chosen in advance (attachments are claimed for it); else generated. */
  messageId?: string;
  conversationId: string;
  senderId: string;
  recipientId: string | null;
  groupId: string | null;
  /** Private groups answer NOT_FOUND to non-members, public ones FORBIDDEN. */
  privateGroup: boolean;
  content: string;
  messageType: MessageType;
  clientMessageId: string | null;
  replyToId?: string | null;
  /** As given (deduplicated); the database keeps the active participants other than the sender. */
  mentions?: string[] | null;
}

export interface WrittenMessage {
  row: MessageRow;
  /** A reply's thread root after this batch bumped it (set on the batch's last reply to it). */
  root: MessageRow | null;
  /** Active participants other than the sender at commit time. */
  recipientIds: string[];
  /** True when the clientMessageID was already stored: this is the first message again. */
  replay: boolean;
  committedAt: number;
}

/** A send waiting in the queue: the caller's object as it is (not copied) and its promise's settlers. */
interface QueuedSend {
  send: PendingSend;
  /** performance.now() when accepted: the queue's age decides admission. */
  queuedAt: number;
  resolve: (written: WrittenMessage) => void;
  reject: (error: Error) => void;
}

/** The loop-lag bound refuses sends only with at least this many accepted and not yet settled. */
const LAG_SHED_MIN_QUEUED = 64;
/** Most sends per transaction; beyond it the next transaction follows at once. */
const MAX_BATCH = 256;
const MAX_ATTEMPTS = 3;
/** SQLSTATEs retried as they are: a clientMessageID raced in by another instance, a deadlock. */
const RETRIED_CODES = new Set(['23505', '40P01']);

/**
 * Group commit for messages. Sends arriving while a write runs are gathered and written by the next
 * one, as a single call of the `post_messages` function: lock the conversations (in id order, so
 * writes never deadlock), take the next seqs, insert, move the senders' markers, commit, and only then
 * resolve each send. One round trip and one fsync per batch instead of several per message. Batches
 * commit one at a time, which keeps a conversation's messages in the order sent. (Measured on the
 * 2-core bench, one queue beat parallel lanes: bigger batches cost PostgreSQL less CPU than
 * overlapping smaller ones saves, and past ~3,000 messages/s the Node process is the limit.)
 *
 * Admission control: at most `messaging.maxQueuedSends` sends are accepted and not yet settled, and
 * none is accepted while the oldest queued one has waited `messaging.maxQueueWaitMs` (the count bound
 * alone lets latency grow when the machine is slower than the default assumes), nor while the event
 * loop runs later than `messaging.loopLagLimitMs` while sends pile up (input then waits before it is
 * even parsed, see LoopLagGate); the next one is refused at once with UNAVAILABLE (503 + retry hint), so accepted
 * sends keep a bounded wait instead of every send timing out together. A batch that fails for a reason other than the
 * database being unreachable is split in halves until the send that cannot be stored fails alone.
 */
@Injectable()
export class MessageWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private queue: QueuedSend[] = [];
  /** The drain in progress, if any: batches commit one after another. */
  private flushing: Promise<void> | null = null;
  private readonly maxQueued: number;
  private readonly maxQueueWaitMs: number;
  private readonly loopLag: LoopLagGate;
  private readonly minBatchIntervalMs: number;
  /** performance.now() when the last batch started, and how many sends it took. */
  private lastBatchAt = -Infinity;
  private lastBatchSize = 0;
  /** Accepted and not yet settled (queued and in the batch being written). */
  private pending = 0;
  private closed = false;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly metrics: MetricsService,
    config: ConfigService<RootConfig, true>,
  ) {
    this.maxQueued = config.get('messaging.maxQueuedSends', { infer: true });
    this.maxQueueWaitMs = config.get('messaging.maxQueueWaitMs', { infer: true }) ?? 0;
    this.minBatchIntervalMs = config.get('messaging.batchIntervalMs', { infer: true }) ?? 0;
    this.loopLag = new LoopLagGate(config.get('messaging.loopLagLimitMs', { infer: true }) ?? 0);
  }

  write(send: PendingSend): Promise<WrittenMessage> {
    if (this.closed) {
      return Promise.reject(AppError.unavailable('The server is shutting down, try again', 1));
    }
    const now = performance.now();
    const oldest = this.queue[0];
    const tooOld =
      this.maxQueueWaitMs > 0 &&
      oldest !== undefined &&
      now - oldest.queuedAt > this.maxQueueWaitMs;
    const full = this.pending >= this.maxQueued;
    // A late loop with few sends queued is busy with something else (a reconnect storm's handshakes):
    // messages are slow there but flowing, and refusing them would not shorten the turns.
    const late = this.pending >= LAG_SHED_MIN_QUEUED && this.loopLag.lagging;
    if (full || tooOld || late) {
      this.metrics.shed.inc({
        reason: full ? 'send_queue' : tooOld ? 'send_queue_wait' : 'event_loop_lag',
      });
      return Promise.reject(AppError.unavailable('The server is over capacity, try again', 1));
    }
    this.pending += 1;
    return new Promise<WrittenMessage>((resolve, reject) => {
      this.queue.push({ send, queuedAt: now, resolve, reject });
      this.schedule();
    });
  }

  /** Sends accepted and not yet settled (admission control, tests). */
  get queued(): number {
    return this.pending;
  }

  /** Whether the event loop counts as late for admission right now (tests). */
  get loopLagging(): boolean {
    return this.loopLag.lagging;
  }

  /** Stops taking sends and commits what is queued while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.loopLag.stop();
    while (this.flushing) {
      await this.flushing;
    }
  }

  /** `now`: start at once when no pacing applies (the previous batch has just committed). */
  private schedule(now = false): void {
    if (this.flushing) {
      return;
    }
    // Paced: a batch starts no sooner than minBatchIntervalMs after the previous one started, unless
    // a full batch is waiting. Idle, a send goes at once; under load, batches grow instead of
    // commits multiplying (each commit costs PostgreSQL CPU and a WAL flush whatever its size).
    // A lone send after a lone batch goes at once too: sends that come one per commit would not
    // gather in the wait, only be later (at 200 DM/s the wait was a third of the median latency).
    const wait =
      this.queue.length >= MAX_BATCH || (this.queue.length === 1 && this.lastBatchSize <= 1)
        ? 0
        : this.lastBatchAt + this.minBatchIntervalMs - performance.now();
    this.flushing =
      now && wait < 1
        ? this.drain()
        : new Promise<void>((resolve) =>
            wait >= 1 ? setTimeout(resolve, wait) : setImmediate(resolve),
          ).then(() => this.drain());
  }

  /**
   * One batch. Once it is committed the next one may go to PostgreSQL at once, before this one's
   * sends are settled: their acks and fan-out (the event loop's work) then overlap the next commit
   * (the database's), where before the next commit waited for them and for a whole poll phase.
   * Commits still run one at a time and in order, so a conversation's messages keep their order.
   */
  private async drain(): Promise<void> {
    const batch = this.queue.slice(0, MAX_BATCH);
    this.queue = this.queue.slice(batch.length);
    this.lastBatchAt = performance.now();
    this.lastBatchSize = batch.length;
    let settle: () => void;
    try {
      settle = await this.commitBatch(batch);
    } finally {
      this.flushing = null;
      if (this.queue.length) {
        this.schedule(true);
      }
    }
    settle();
  }

  /** Commits `batch` and returns what settles its sends (run it once the next batch is on its way). */
  private async commitBatch(batch: QueuedSend[]): Promise<() => void> {
    let outcomes: (WrittenMessage | AppError)[];
    try {
      outcomes = await this.writeRetrying(batch);
    } catch (error) {
      if (isDependencyUnavailable(error)) {
        // Nothing is wrong with these sends: the database is away. Splitting would only add load.
        const failure = AppError.unavailable('The message could not be stored now, try again', 2);
        return () => batch.forEach((queued) => this.settle(queued, failure));
      }
      if (batch.length > 1) {
        // One row PostgreSQL refuses (the statement is atomic, so nothing was stored) must not fail
        // the others: halve until it is alone. Halves run in order, keeping per-conversation order,
        // and each half is settled as soon as it is committed.
        const middle = Math.ceil(batch.length / 2);
        (await this.commitBatch(batch.slice(0, middle)))();
        (await this.commitBatch(batch.slice(middle)))();
        return () => undefined;
      }
      this.logger.error({ err: loggableError(error) }, 'A message could not be stored');
      return () =>
        this.settle(batch[0], new AppError('INTERNAL', 'The message could not be stored'));
    }
    const committedAt = performance.now();
    this.metrics.messageBatchSize.observe(batch.length);
    return () => {
      for (let index = 0; index < batch.length; index += 1) {
        const outcome = outcomes[index];
        if (!(outcome instanceof AppError)) {
          outcome.committedAt = committedAt;
        }
        this.settle(batch[index], outcome);
      }
    };
  }

  private settle(queued: QueuedSend, outcome: WrittenMessage | AppError): void {
    this.pending -= 1;
    if (outcome instanceof AppError) {
      queued.reject(outcome);
    } else {
      queued.resolve(outcome);
    }
  }

  /**
   * A unique violation is a clientMessageID raced in by another instance (the retry's idempotency
   * check then sees it); a deadlock is retried as is. Other errors are thrown.
   */
  private async writeRetrying(batch: QueuedSend[]): Promise<(WrittenMessage | AppError)[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.writeOnce(batch);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (!(code && RETRIED_CODES.has(code)) || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /**
   * The whole batch in one statement (the `post_messages` function, see its migration): one round
   * trip and one implicit transaction. Returns, per send, its message or its refusal.
   */
  private async writeOnce(batch: QueuedSend[]): Promise<(WrittenMessage | AppError)[]> {
    const started = performance.now();
    let posted: Awaited<ReturnType<MessagesRepository['post']>>;
    try {
      posted = await this.messages.post(
        batch.map((queued) => queued.send),
        new Date(),
      );
    } finally {
      this.metrics.messageWriteDuration.observe((performance.now() - started) / 1000);
    }
    // Filtered once per (conversation, sender): a sender's sends in one batch share one (read-only) list.
    const recipients = new Map<string, string[]>();
    const recipientsOf = (send: PendingSend): string[] => {
      const key = `${send.conversationId}:${send.senderId}`;
      let ids = recipients.get(key);
      if (!ids) {
        ids = (posted.participants.get(send.conversationId) ?? []).filter(
          (id) => id !== send.senderId,
        );
        recipients.set(key, ids);
      }
      return ids;
    };
    return batch.map(({ send }, index) => {
      const outcome = posted.outcomes.get(index + 1);
      if (!outcome || outcome.kind === 'forbidden') {
        return send.privateGroup
          ? AppError.notFound('Group')
          : AppError.forbidden('You are not a member of this group');
      }
      if (outcome.kind === 'conflict') {
        return AppError.conflict('clientMessageID was already used for a different message');
      }
      if (outcome.kind === 'invalid_reply') {
        return AppError.validation('replyToID must be a message of this conversation', [
          {
            field: 'replyToID',
            message: 'replyToID must be a readable message of this conversation',
          },
        ]);
      }
      return {
        row: outcome.row,
        root: posted.roots.get(index + 1) ?? null,
        recipientIds: recipientsOf(send),
        replay: outcome.kind === 'replay',
        // Set when the batch is settled (the commit's time, the same for all of its sends).
        committedAt: 0,
      };
    });
  }
}
