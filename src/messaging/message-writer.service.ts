import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { MessageType } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { isDependencyUnavailable } from '../common/errors/dependency-error';
import { loggableError } from '../common/http/request-id';
import type { RootConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import type { MessageRow } from './message-view';

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

interface QueuedSend extends PendingSend {
  /** performance.now() when accepted: the queue's age decides admission. */
  queuedAt: number;
  resolve: (written: WrittenMessage) => void;
  reject: (error: Error) => void;
}

/** Most sends per transaction; beyond it the next transaction follows at once. */
const MAX_BATCH = 256;
const MAX_ATTEMPTS = 3;
/** SQLSTATEs retried as they are: a clientMessageID raced in by another instance, a deadlock. */
const RETRIED_CODES = new Set(['23505', '40P01']);
/**
 * Independent write lanes. A conversation always uses the same lane, so its messages keep the order
 * they were sent in, and lanes could overlap one commit's wait with the next one's work. Measured on
 * the 2-core bench, one lane wins: bigger batches cost PostgreSQL less CPU than overlapping smaller
 * ones saves, and past ~3,000 messages/s the Node process, not the database, is the limit. Raise it on
 * a machine whose database has cores of its own.
 */
const LANES = 1;

/** One single-flight queue: its batches commit one after another. */
class WriteLane {
  queue: QueuedSend[] = [];
  flushing: Promise<void> | null = null;
}

function laneOf(conversationId: string): number {
  let hash = 0;
  for (let i = 0; i < conversationId.length; i += 1) {
    hash = (hash * 31 + conversationId.charCodeAt(i)) | 0;
  }
  return Math.abs(hash) % LANES;
}

/**
 * Group commit for messages. Sends arriving while a write runs are gathered and written by the next
 * one, as a single call of the `post_messages` function: lock the conversations (in id order, so
 * writes never deadlock), take the next seqs, insert, move the senders' markers, commit, and only then
 * resolve each send. One round trip and one fsync per batch instead of several per message. Each
 * conversation belongs to one lane whose writes run one at a time, which keeps a conversation's
 * messages in the order sent; the lanes run side by side.
 *
 * Admission control: at most `messaging.maxQueuedSends` sends are accepted and not yet settled, and
 * none is accepted while the oldest queued one has waited `messaging.maxQueueWaitMs` (the count bound
 * alone lets latency grow when the machine is slower than the default assumes); the next one is
 * refused at once with UNAVAILABLE (503 + retry hint), so accepted sends keep a bounded
 * wait instead of every send timing out together. A batch that fails for a reason other than the
 * database being unreachable is split in halves until the send that cannot be stored fails alone.
 */
@Injectable()
export class MessageWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private readonly lanes = Array.from({ length: LANES }, () => new WriteLane());
  private readonly maxQueued: number;
  private readonly maxQueueWaitMs: number;
  /** Accepted and not yet settled, over all lanes (queued and in the batch being written). */
  private pending = 0;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    config: ConfigService<RootConfig, true>,
  ) {
    this.maxQueued = config.get('messaging.maxQueuedSends', { infer: true });
    this.maxQueueWaitMs = config.get('messaging.maxQueueWaitMs', { infer: true }) ?? 0;
  }

  write(send: PendingSend): Promise<WrittenMessage> {
    if (this.closed) {
      return Promise.reject(AppError.unavailable('The server is shutting down, try again', 1));
    }
    const lane = this.lanes[laneOf(send.conversationId)];
    const now = performance.now();
    const oldest = lane.queue[0];
    const tooOld =
      this.maxQueueWaitMs > 0 &&
      oldest !== undefined &&
      now - oldest.queuedAt > this.maxQueueWaitMs;
    if (this.pending >= this.maxQueued || tooOld) {
      this.metrics.shed.inc({ reason: tooOld ? 'send_queue_wait' : 'send_queue' });
      return Promise.reject(AppError.unavailable('The server is over capacity, try again', 1));
    }
    this.pending += 1;
    return new Promise<WrittenMessage>((resolve, reject) => {
      lane.queue.push({
        ...send,
        queuedAt: now,
        resolve: (written) => {
          this.pending -= 1;
          resolve(written);
        },
        reject: (error) => {
          this.pending -= 1;
          reject(error);
        },
      });
      this.schedule(lane);
    });
  }

  /** Sends accepted and not yet settled (admission control, tests). */
  get queued(): number {
    return this.pending;
  }

  /** Stops taking sends and commits what is queued while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes) {
      while (lane.flushing) {
        await lane.flushing;
      }
    }
  }

  private schedule(lane: WriteLane): void {
    if (lane.flushing) {
      return;
    }
    lane.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain(lane))
      .finally(() => {
        lane.flushing = null;
        if (lane.queue.length) {
          this.schedule(lane);
        }
      });
  }

  private async drain(lane: WriteLane): Promise<void> {
    while (lane.queue.length) {
      const batch = lane.queue.slice(0, MAX_BATCH);
      lane.queue = lane.queue.slice(batch.length);
      await this.commitBatch(batch);
    }
  }

  private async commitBatch(batch: QueuedSend[]): Promise<void> {
    let outcomes: Awaited<ReturnType<MessageWriter['writeOnce']>>;
    try {
      outcomes = await this.writeRetrying(batch);
    } catch (error) {
      if (isDependencyUnavailable(error)) {
        // Nothing is wrong with these sends: the database is away. Splitting would only add load.
        const failure = AppError.unavailable('The message could not be stored now, try again', 2);
        batch.forEach((send) => send.reject(failure));
        return;
      }
      if (batch.length > 1) {
        // One row PostgreSQL refuses (the statement is atomic, so nothing was stored) must not fail
        // the others: halve until it is alone. Halves run in order, keeping per-conversation order.
        const middle = Math.ceil(batch.length / 2);
        await this.commitBatch(batch.slice(0, middle));
        await this.commitBatch(batch.slice(middle));
        return;
      }
      this.logger.error({ err: loggableError(error) }, 'A message could not be stored');
      batch[0].reject(new AppError('INTERNAL', 'The message could not be stored'));
      return;
    }
    const committedAt = performance.now();
    this.metrics.messageBatchSize.observe(batch.length);
    batch.forEach((send, index) => {
      const outcome = outcomes[index];
      if (outcome instanceof AppError) {
        send.reject(outcome);
      } else {
        send.resolve({ ...outcome, committedAt });
      }
    });
  }

  /**
   * A unique violation is a clientMessageID raced in by another instance (the retry's idempotency
   * check then sees it); a deadlock is retried as is. Other errors are thrown.
   */
  private async writeRetrying(batch: QueuedSend[]): ReturnType<MessageWriter['writeOnce']> {
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
  private async writeOnce(
    batch: QueuedSend[],
  ): Promise<(Omit<WrittenMessage, 'committedAt'> | AppError)[]> {
    const now = new Date();
    const rows = await this.dataSource.query<PostedRow[]>(
      `SELECT * FROM post_messages($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                   $6::text[], $7::varchar[], $8::varchar[], $9::uuid[], $10::text[],
                                   $11::timestamptz)`,
      [
        batch.map((send) => send.messageId ?? randomUUID()),
        batch.map((send) => send.conversationId),
        batch.map((send) => send.senderId),
        batch.map((send) => send.recipientId),
        batch.map((send) => send.groupId),
        batch.map((send) => send.content),
        batch.map((send) => send.messageType),
        batch.map((send) => send.clientMessageId),
        batch.map((send) => send.replyToId ?? null),
        batch.map((send) => (send.mentions?.length ? `{${send.mentions.join(',')}}` : null)),
        now,
      ],
    );
    const participants = new Map<string, string[]>();
    const bySend = new Map<number, PostedRow>();
    const roots = new Map<number, PostedRow>();
    for (const row of rows) {
      if (row.kind === 'participants') {
        participants.set(row.m_conversation_id as string, row.participants ?? []);
      } else if (row.kind === 'root') {
        roots.set(row.ord, row);
      } else {
        bySend.set(row.ord, row);
      }
    }
    return batch.map((send, index) => {
      const row = bySend.get(index + 1);
      if (!row || row.kind === 'forbidden') {
        return send.privateGroup
          ? AppError.notFound('Group')
          : AppError.forbidden('You are not a member of this group');
      }
      if (row.kind === 'conflict') {
        return AppError.conflict('clientMessageID was already used for a different message');
      }
      if (row.kind === 'invalid_reply') {
        return AppError.validation('replyToID must be a message of this conversation', [
          {
            field: 'replyToID',
            message: 'replyToID must be a readable message of this conversation',
          },
        ]);
      }
      const recipientIds = (participants.get(send.conversationId) ?? []).filter(
        (id) => id !== send.senderId,
      );
      const root = roots.get(index + 1);
      return {
        row: toRow(row),
        root: root ? toRow(root) : null,
        recipientIds,
        replay: row.kind === 'replay',
      };
    });
  }
}

function toRow(row: PostedRow): MessageRow {
  return {
    id: row.m_id as string,
    conversation_id: row.m_conversation_id as string,
    seq: Number(row.m_seq),
    sender_id: row.m_sender_id as string,
    recipient_id: row.m_recipient_id,
    group_id: row.m_group_id,
    content: row.m_content as string,
    message_type: row.m_message_type as MessageType,
    client_message_id: row.m_client_message_id,
    created_at: row.m_created_at as Date,
    version: Number(row.m_version),
    edited_at: row.m_edited_at,
    deleted_at: row.m_deleted_at,
    reply_to_id: row.m_reply_to_id,
    thread_root_id: row.m_thread_root_id,
    reply_count: Number(row.m_reply_count ?? 0),
    last_reply_at: row.m_last_reply_at,
    mentions: row.m_mentions ?? [],
  };
}

/**
 * A row of `post_messages`: one per send (ord = its 1-based position), one per thread root the batch
 * changed (ord = its last reply's) and one per conversation.
 */
interface PostedRow {
  ord: number;
  kind: 'created' | 'replay' | 'conflict' | 'forbidden' | 'invalid_reply' | 'root' | 'participants';
  m_id: string | null;
  m_conversation_id: string | null;
  m_seq: string | null;
  m_sender_id: string | null;
  m_recipient_id: string | null;
  m_group_id: string | null;
  m_content: string | null;
  m_message_type: string | null;
  m_client_message_id: string | null;
  m_created_at: Date | null;
  m_version: string | null;
  m_edited_at: Date | null;
  m_deleted_at: Date | null;
  m_reply_to_id: string | null;
  m_thread_root_id: string | null;
  m_reply_count: number | null;
  m_last_reply_at: Date | null;
  m_mentions: string[] | null;
  participants: string[] | null;
}
