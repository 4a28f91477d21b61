import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { expect } from 'expect';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppError } from '../../src/common/errors/app-error';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { MessageWriter, type PendingSend } from '../../src/messaging/message-writer.service';
import { MessagesRepository } from '../../src/messaging/repositories/messages.repository';
import { MetricsService } from '../../src/metrics/metrics.service';
import { postedBatchSize } from '../utils/post-messages';
import { insertDirectConversation, insertUsers } from '../utils/sql-factories';
import { createTestDatabase } from '../utils/test-app';

/**
 * The group-commit writer alone (no app around it) against the real, migrated PostgreSQL, with the
 * database's failures injected under it.
 */
describe('MessageWriter', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let realQuery: DataSource['query'];
  let conversationId: string;
  let alice: string;
  let bob: string;
  /** Sizes of the batches sent to post_messages, in order. */
  let batchSizes: number[];

  const newWriter = (
    maxQueuedSends = 2_000,
    maxQueueWaitMs = 0,
    batchIntervalMs = 0,
  ): MessageWriter => {
    const writer = new MessageWriter(
      new MessagesRepository(dataSource),
      new MetricsService(),
      new ConfigService({ messaging: { maxQueuedSends, maxQueueWaitMs, batchIntervalMs } }),
    );
    // Stopped after each test: nothing of one test's writer runs into the next.
    writers.push(writer);
    return writer;
  };
  const writers: MessageWriter[] = [];

  const send = (overrides: Partial<PendingSend> = {}): PendingSend => ({
    conversationId,
    senderId: alice,
    recipientId: bob,
    groupId: null,
    privateGroup: false,
    content: 'hello',
    messageType: 'text',
    clientMessageId: null,
    ...overrides,
  });

  /**
   * Fails the next `times` post_messages calls with `error` (the database, not the writer); the
   * failed batches are counted in batchSizes too.
   */
  const failNext = (times: number, error: Error): void => {
    let left = times;
    const next = dataSource.query.bind(dataSource);
    dataSource.query = (async (sql: string, parameters?: unknown[]) => {
      if (left > 0 && sql.includes('post_messages')) {
        left -= 1;
        batchSizes.push(postedBatchSize(parameters));
        throw error;
      }
      return next(sql, parameters);
    }) as DataSource['query'];
  };

  const stored = async (): Promise<number> =>
    Number(
      (
        await realQuery<{ n: string }[]>(
          'SELECT count(*) AS n FROM messages WHERE conversation_id = $1',
          [conversationId],
        )
      )[0].n,
    );

  before(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...buildDataSourceOptions(database.url, 4),
      migrationsRun: true,
    });
    await dataSource.initialize();
    realQuery = dataSource.query.bind(dataSource);
  });

  after(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  afterEach(async () => {
    await Promise.all(writers.splice(0).map((writer) => writer.beforeApplicationShutdown()));
  });

  beforeEach(async () => {
    dataSource.query = realQuery;
    batchSizes = [];
    const spy = realQuery;
    realQuery = (async (sql: string, parameters?: unknown[]) => {
      if (sql.includes('post_messages')) {
        batchSizes.push(postedBatchSize(parameters));
      }
      return spy(sql, parameters);
    }) as DataSource['query'];
    dataSource.query = realQuery;
    [alice, bob] = (await insertUsers(dataSource, 2, 'writer')).map((user) => user.id);
    conversationId = await insertDirectConversation(dataSource, alice, bob);
    realQuery = spy;
  });

  it('should time each commit in message_write_duration_seconds, failed ones included', async () => {
    const metrics = new MetricsService();
    const writer = new MessageWriter(
      new MessagesRepository(dataSource),
      metrics,
      new ConfigService({
        messaging: { maxQueuedSends: 100, maxQueueWaitMs: 0, batchIntervalMs: 0 },
      }),
    );
    writers.push(writer);
    await writer.write(send({ content: 'timed' }));
    await expect(writer.write(send({ content: 'bad\u0000' }))).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    const text = await metrics.registry.getSingleMetricAsString('message_write_duration_seconds');
    metrics.onModuleDestroy();
    expect(text).toMatch(/^message_write_duration_seconds_count 2$/m);
  });

  it('should fail only the send PostgreSQL refuses and store the rest of its batch', async () => {
    const writer = newWriter();
    const sends = Array.from({ length: 40 }, (_, i) =>
      writer.write(
        send({ content: `m${i}`, clientMessageId: i === 17 ? 'bad\u0000id' : `ok-${i}` }),
      ),
    );
    const results = await Promise.allSettled(sends);
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([17]);
    expect((results[17] as PromiseRejectedResult).reason).toMatchObject({ code: 'INTERNAL' });
    expect(await stored()).toBe(39);
    // Seqs stay in the order sent.
    const seqs = results.flatMap((r) =>
      r.status === 'fulfilled' ? [Number(r.value.row.seq)] : [],
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Split, not one statement per send: the bad one ends alone in a few halvings.
    expect(batchSizes[0]).toBe(40);
    expect(batchSizes).toContain(1);
    expect(batchSizes.length).toBeLessThan(20);
  });

  for (const code of ['23505', '40P01']) {
    it(`should retry a batch that failed with ${code} and store each send once`, async () => {
      const writer = newWriter();
      failNext(1, Object.assign(new Error(`simulated ${code}`), { code }));
      const results = await Promise.all(
        [1, 2, 3].map((i) => writer.write(send({ clientMessageId: `retry-${code}-${i}` }))),
      );
      expect(results.map((r) => r.replay)).toEqual([false, false, false]);
      expect(await stored()).toBe(3);
      // Retried whole, not split in halves as a refused row would be.
      expect(batchSizes).toEqual([3, 3]);
    });
  }

  it('should answer UNAVAILABLE to the whole batch when the database is unreachable, without splitting', async () => {
    const writer = newWriter();
    failNext(1, Object.assign(new Error('terminating connection'), { code: '57P01' }));
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => writer.write(send())));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE' });
    }
    expect(await stored()).toBe(0);
    expect(batchSizes).toEqual([4]);
    expect(writer.queued).toBe(0);
  });

  it('should refuse sends beyond its bound at once with UNAVAILABLE and accept again once settled', async () => {
    const writer = newWriter(3);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => writer.write(send())));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect((results[4] as PromiseRejectedResult).reason).toMatchObject({
      code: 'UNAVAILABLE',
      retryAfterSeconds: 1,
    });
    expect(writer.queued).toBe(0);
    await writer.write(send());
    expect(await stored()).toBe(4);
  });

  it('should refuse sends at once while the oldest queued send has waited past the age bound', async () => {
    const writer = newWriter(2_000, 50);
    // A slow database: the conversation's row is locked, so the first batch waits.
    const locker = new Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
    const first = writer.write(send({ content: 'first' }));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const second = writer.write(send({ content: 'second' }));
    // Time itself is the condition here: let the queued send age past the bound.
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(writer.write(send({ content: 'third' }))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await locker.query('COMMIT');
    await locker.end();
    await Promise.all([first, second]);
    expect(await stored()).toBe(2);
  });

  it('should commit what is queued at shutdown and refuse later sends with UNAVAILABLE', async () => {
    const writer = newWriter();
    const sends = Array.from({ length: 25 }, (_, i) => writer.write(send({ content: `d${i}` })));
    await writer.beforeApplicationShutdown();
    expect((await Promise.all(sends)).length).toBe(25);
    expect(await stored()).toBe(25);
    await expect(writer.write(send())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('should give each send of one batch the participants other than its own sender', async () => {
    const writer = newWriter();
    const written = await Promise.all([
      writer.write(send({ content: 'a1' })),
      writer.write(send({ senderId: bob, recipientId: alice, content: 'b1' })),
      writer.write(send({ content: 'a2' })),
    ]);
    expect(batchSizes).toEqual([3]);
    expect(written.map((w) => w.recipientIds)).toEqual([[bob], [alice], [bob]]);
    expect(written.map((w) => Number(w.row.seq))).toEqual([1, 2, 3]);
  });

  it('should send the next batch to PostgreSQL before settling the committed one, keeping seq order', async () => {
    const writer = newWriter();
    const events: string[] = [];
    const next = dataSource.query.bind(dataSource);
    dataSource.query = ((sql: string, parameters?: unknown[]) => {
      if (sql.includes('post_messages')) {
        events.push(`post ${postedBatchSize(parameters)}`);
      }
      return next(sql, parameters);
    }) as DataSource['query'];
    const sends = Array.from({ length: 300 }, (_, i) => writer.write(send({ content: `m${i}` })));
    void sends[0].then(() => events.push('first acked'));
    const written = await Promise.all(sends);
    // The first batch (256) committed; the rest went to the database before its acks ran.
    expect(events).toEqual(['post 256', 'post 44', 'first acked']);
    expect(written.map((w) => Number(w.row.seq))).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it('should pace batches under MESSAGE_BATCH_INTERVAL_MS: sends of the next turns join one batch', async () => {
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const paced = newWriter(2_000, 0, 300);
    // Two sends of one turn: a batch of two, so what follows is paced.
    await Promise.all([
      paced.write(send({ content: 'first' })),
      paced.write(send({ content: 'second' })),
    ]);
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i += 1) {
      later.push(paced.write(send({ content: `turn ${i}` })));
      await nextTurn();
    }
    await Promise.all(later);
    expect(batchSizes).toEqual([2, 4]);
    expect(await stored()).toBe(6);

    // Back to back (the default), the same sends commit as they come.
    batchSizes.length = 0;
    const unpaced = newWriter();
    await unpaced.write(send({ content: 'first again' }));
    const again: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i += 1) {
      again.push(unpaced.write(send({ content: `again ${i}` })));
      await nextTurn();
    }
    await Promise.all(again);
    expect(batchSizes.length).toBeGreaterThan(2);
  });

  it('should not hold a lone send after a lone batch for the pacing interval', async () => {
    const paced = newWriter(2_000, 0, 60_000);
    await paced.write(send({ content: 'alone' }));
    let guard: NodeJS.Timeout | undefined;
    const held = new Promise<string>((resolve) => {
      guard = setTimeout(() => resolve('held'), 10_000);
    });
    const outcome = await Promise.race([
      paced.write(send({ content: 'alone again' })).then(() => 'committed'),
      held,
    ]);
    clearTimeout(guard);
    expect(outcome).toBe('committed');
    expect(batchSizes).toEqual([1, 1]);
  });
});
