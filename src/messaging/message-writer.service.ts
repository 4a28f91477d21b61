import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { MessageType } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { loggableError } from '../common/http/request-id';
import { MetricsService } from '../metrics/metrics.service';
import { MESSAGE_COLUMNS, type MessageRow } from './message-view';

/** A send whose target is resolved and whose body is valid, waiting for the next group commit. */
export interface PendingSend {
  conversationId: string;
  senderId: string;
  recipientId: string | null;
  groupId: string | null;
  /** Private groups answer NOT_FOUND to non-members, public ones FORBIDDEN. */
  privateGroup: boolean;
  content: string;
  messageType: MessageType;
  clientMessageId: string | null;
}

export interface WrittenMessage {
  row: MessageRow;
  /** Active participants other than the sender at commit time. */
  recipientIds: string[];
  /** True when the clientMessageID was already stored: this is the first message again. */
  replay: boolean;
  committedAt: number;
}

interface QueuedSend extends PendingSend {
  resolve: (written: WrittenMessage) => void;
  reject: (error: unknown) => void;
}

/** Most sends per transaction; beyond it the next transaction follows at once. */
const MAX_BATCH = 256;
const MAX_ATTEMPTS = 3;

/**
 * Group commit for messages. Sends arriving while a transaction runs are gathered and written by the
 * next one: lock the conversations (in id order, so transactions never deadlock), take the next seqs,
 * insert every message with one statement, move last_seq and the senders' markers, commit, and only
 * then resolve each send. One transaction at a time keeps a sender's messages in the order sent, and
 * PostgreSQL pays one fsync per batch instead of one per message.
 */
@Injectable()
export class MessageWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private queue: QueuedSend[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  write(send: PendingSend): Promise<WrittenMessage> {
    if (this.closed) {
      return Promise.reject(new AppError('INTERNAL', 'The server is shutting down'));
    }
    return new Promise<WrittenMessage>((resolve, reject) => {
      this.queue.push({ ...send, resolve, reject });
      this.schedule();
    });
  }

  /** Stops taking sends and commits what is queued while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    while (this.flushing) {
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.flushing) {
      return;
    }
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.flushing = null;
        if (this.queue.length) {
          this.schedule();
        }
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, MAX_BATCH);
      this.queue = this.queue.slice(batch.length);
      await this.commitBatch(batch);
    }
  }

  private async commitBatch(batch: QueuedSend[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcomes = await this.writeOnce(batch);
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
        return;
      } catch (error) {
        // A unique violation here is a clientMessageID raced by another instance into another
        // conversation: the retry's idempotency check now sees it. Anything else fails the batch.
        const code = (error as { code?: string }).code;
        if ((code === '23505' || code === '40P01') && attempt < MAX_ATTEMPTS) {
          continue;
        }
        this.logger.error(
          { err: loggableError(error), size: batch.length },
          'Message batch failed',
        );
        const failure = new AppError('INTERNAL', 'The message could not be stored, try again');
        batch.forEach((send) => send.reject(failure));
        return;
      }
    }
  }

  /** One transaction for the whole batch. Returns, per send, its message or its refusal. */
  private async writeOnce(
    batch: QueuedSend[],
  ): Promise<(Omit<WrittenMessage, 'committedAt'> | AppError)[]> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const outcomes = await this.writeInTransaction(runner, batch);
      await runner.commitTransaction();
      return outcomes;
    } catch (error) {
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
      }
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async writeInTransaction(
    runner: QueryRunner,
    batch: QueuedSend[],
  ): Promise<(Omit<WrittenMessage, 'committedAt'> | AppError)[]> {
    const conversationIds = [...new Set(batch.map((send) => send.conversationId))].sort();
    const locked = (await runner.query(
      'SELECT id, last_seq FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
      [conversationIds],
    )) as { id: string; last_seq: string }[];
    const lastSeq = new Map(locked.map((row) => [row.id, Number(row.last_seq)]));

    const memberRows = (await runner.query(
      'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id = ANY($1::uuid[]) AND left_seq IS NULL',
      [conversationIds],
    )) as { conversation_id: string; user_id: string }[];
    const participants = new Map<string, Set<string>>();
    for (const row of memberRows) {
      const set = participants.get(row.conversation_id) ?? new Set<string>();
      set.add(row.user_id);
      participants.set(row.conversation_id, set);
    }

    // Idempotency: a (sender, clientMessageID) already stored returns that message.
    const keyed = batch.filter((send) => send.clientMessageId !== null);
    const existing = new Map<string, MessageRow>();
    if (keyed.length) {
      const rows = (await runner.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages
          WHERE (sender_id, client_message_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))`,
        [keyed.map((send) => send.senderId), keyed.map((send) => send.clientMessageId)],
      )) as MessageRow[];
      for (const row of rows) {
        existing.set(`${row.sender_id}\u0000${row.client_message_id}`, row);
      }
    }

    const now = new Date();
    const outcomes: (Omit<WrittenMessage, 'committedAt'> | AppError)[] = [];
    const inserts: MessageRow[] = [];
    const claimed = new Map<string, MessageRow>();
    const senderMarks = new Map<string, { conversationId: string; userId: string; seq: number }>();
    for (const send of batch) {
      const members = participants.get(send.conversationId);
      const recipientIds = members ? [...members].filter((id) => id !== send.senderId) : [];
      const key =
        send.clientMessageId === null ? null : `${send.senderId}\u0000${send.clientMessageId}`;
      const stored = key ? (existing.get(key) ?? claimed.get(key)) : undefined;
      if (stored) {
        const same =
          stored.conversation_id === send.conversationId &&
          stored.content === send.content &&
          stored.message_type === send.messageType;
        outcomes.push(
          same
            ? { row: stored, recipientIds, replay: true }
            : AppError.conflict('clientMessageID was already used for a different message'),
        );
        continue;
      }
      if (!members?.has(send.senderId) || !lastSeq.has(send.conversationId)) {
        outcomes.push(
          send.privateGroup
            ? AppError.notFound('Group')
            : AppError.forbidden('You are not a member of this group'),
        );
        continue;
      }
      const seq = (lastSeq.get(send.conversationId) ?? 0) + 1;
      lastSeq.set(send.conversationId, seq);
      const row: MessageRow = {
        id: randomUUID(),
        conversation_id: send.conversationId,
        seq,
        sender_id: send.senderId,
        recipient_id: send.recipientId,
        group_id: send.groupId,
        content: send.content,
        message_type: send.messageType,
        client_message_id: send.clientMessageId,
        created_at: now,
      };
      inserts.push(row);
      if (key) {
        claimed.set(key, row);
      }
      senderMarks.set(`${send.conversationId}:${send.senderId}`, {
        conversationId: send.conversationId,
        userId: send.senderId,
        seq,
      });
      outcomes.push({ row, recipientIds, replay: false });
    }

    if (inserts.length) {
      await runner.query(
        `INSERT INTO messages (${MESSAGE_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::uuid[],
                              $7::text[], $8::varchar[], $9::varchar[], $10::timestamptz[])`,
        [
          inserts.map((r) => r.id),
          inserts.map((r) => r.conversation_id),
          inserts.map((r) => r.seq),
          inserts.map((r) => r.sender_id),
          inserts.map((r) => r.recipient_id),
          inserts.map((r) => r.group_id),
          inserts.map((r) => r.content),
          inserts.map((r) => r.message_type),
          inserts.map((r) => r.client_message_id),
          inserts.map(() => now),
        ],
      );
      const moved = [...lastSeq.entries()].filter(([id]) =>
        inserts.some((r) => r.conversation_id === id),
      );
      await runner.query(
        `UPDATE conversations c SET last_seq = v.last_seq, last_message_at = $3
           FROM unnest($1::uuid[], $2::bigint[]) AS v(id, last_seq)
          WHERE c.id = v.id`,
        [moved.map(([id]) => id), moved.map(([, seq]) => seq), now],
      );
      // Sending implies having seen the conversation: the sender's own markers follow their message.
      const marks = [...senderMarks.values()];
      await runner.query(
        `UPDATE conversation_members m
            SET last_read_seq = GREATEST(m.last_read_seq, v.seq),
                last_delivered_seq = GREATEST(m.last_delivered_seq, v.seq)
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS v(conversation_id, user_id, seq)
          WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id`,
        [marks.map((m) => m.conversationId), marks.map((m) => m.userId), marks.map((m) => m.seq)],
      );
    }
    return outcomes;
  }
}
