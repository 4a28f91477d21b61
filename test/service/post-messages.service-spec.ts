import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import { MessageDeletionsService } from '../../src/messaging/lifecycle/message-deletions.service';
import { MessageEditsService } from '../../src/messaging/lifecycle/message-edits.service';
import type { MessageRow } from '../../src/messaging/message-view';
import {
  MessageWriter,
  type PendingSend,
  type WrittenMessage,
} from '../../src/messaging/message-writer.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { postedBatchSize } from '../utils/post-messages';
import { insertDirectConversation, insertGroup, insertUsers } from '../utils/sql-factories';

/**
 * What `post_messages` decides for each send of ONE batch (one call, no retry or split), through the
 * app's group-commit writer: idempotency within the batch and against stored messages, membership,
 * replies, mentions, and gap-free seqs and versions. A created message comes back built from the
 * send, so it is compared with the row the database stored.
 */
describe('post_messages', () => {
  let service: ServiceApp;
  let db: DataSource;
  let writer: MessageWriter;
  /** Sizes of the post_messages calls of the current test, in order. */
  let calls: number[];

  interface Direct {
    conversationId: string;
    a: string;
    b: string;
  }

  const direct = async (a?: string): Promise<Direct> => {
    const users = await insertUsers(db, a ? 1 : 2, 'post');
    const [first, second] = a ? [a, users[0].id] : [users[0].id, users[1].id];
    return {
      conversationId: await insertDirectConversation(db, first, second),
      a: first,
      b: second,
    };
  };

  /** A send from `d.a` to `d.b`. */
  const to = (d: Direct, overrides: Partial<PendingSend> = {}): PendingSend => ({
    conversationId: d.conversationId,
    senderId: d.a,
    recipientId: d.b,
    groupId: null,
    privateGroup: false,
    content: 'hello',
    messageType: 'text',
    clientMessageId: null,
    ...overrides,
  });

  /** Writes the sends as one batch and proves it was one post_messages call. */
  const oneBatch = async (
    sends: PendingSend[],
  ): Promise<PromiseSettledResult<WrittenMessage>[]> => {
    calls = [];
    const results = await Promise.allSettled(sends.map((send) => writer.write(send)));
    expect(calls).toEqual([sends.length]);
    return results;
  };

  const written = (result: PromiseSettledResult<WrittenMessage>): WrittenMessage => {
    if (result.status === 'rejected') {
      throw new Error(`expected a stored message, got ${String(result.reason)}`);
    }
    return result.value;
  };

  const refusal = (result: PromiseSettledResult<WrittenMessage>): unknown =>
    result.status === 'rejected' ? result.reason : `stored as seq ${result.value.row.seq}`;

  /** A MessageRow as comparable values (numbers, ISO times). */
  const plain = (row: MessageRow) => ({
    id: row.id,
    conversation_id: row.conversation_id,
    seq: Number(row.seq),
    sender_id: row.sender_id,
    recipient_id: row.recipient_id,
    group_id: row.group_id,
    content: row.content,
    message_type: row.message_type,
    client_message_id: row.client_message_id,
    created_at: new Date(row.created_at).toISOString(),
    version: Number(row.version),
    edited_at: row.edited_at === null ? null : new Date(row.edited_at).toISOString(),
    deleted_at: row.deleted_at === null ? null : new Date(row.deleted_at).toISOString(),
    reply_to_id: row.reply_to_id,
    thread_root_id: row.thread_root_id,
    reply_count: Number(row.reply_count),
    last_reply_at: row.last_reply_at === null ? null : new Date(row.last_reply_at).toISOString(),
    mentions: row.mentions ?? [],
  });

  const storedRow = async (id: string) =>
    plain(
      (
        await db.query<MessageRow[]>(
          `SELECT id, conversation_id, seq, sender_id, recipient_id, group_id, content, message_type,
                  client_message_id, created_at, version, edited_at, deleted_at, reply_to_id,
                  thread_root_id, reply_count, last_reply_at, mentions
             FROM messages WHERE id = $1`,
          [id],
        )
      )[0],
    );

  const counters = async (conversationId: string): Promise<[number, number]> => {
    const [row] = await db.query<{ last_seq: string; version: string }[]>(
      'SELECT last_seq, version FROM conversations WHERE id = $1',
      [conversationId],
    );
    return [Number(row.last_seq), Number(row.version)];
  };

  const storedCount = async (conversationId: string): Promise<number> =>
    Number(
      (
        await db.query<{ n: string }[]>(
          'SELECT count(*) AS n FROM messages WHERE conversation_id = $1',
          [conversationId],
        )
      )[0].n,
    );

  before(async () => {
    service = await createServiceApp();
    db = service.db;
    writer = service.app.get(MessageWriter);
    const query = db.query.bind(db);
    db.query = (async (sql: string, parameters?: unknown[]) => {
      if (sql.includes('post_messages')) {
        calls.push(postedBatchSize(parameters));
      }
      return query(sql, parameters);
    }) as DataSource['query'];
  });

  after(async () => {
    await service.close();
  });

  beforeEach(() => {
    calls = [];
  });

  describe('clientMessageID repeated within one batch', () => {
    it('should answer a repeat with the same body as a replay of the first and a different body as a conflict', async () => {
      const d = await direct();
      const other = await direct(d.a);
      const results = await oneBatch([
        to(d, { content: 'x', clientMessageId: 'k1' }),
        to(d, { content: 'y', clientMessageId: 'k2' }),
        to(d, { content: 'x', clientMessageId: 'k1' }),
        to(d, { content: 'not x', clientMessageId: 'k1' }),
        to(other, { content: 'x', clientMessageId: 'k1' }),
        to(d, { content: 'x', clientMessageId: 'k1', messageType: 'file' }),
        to(d, { content: 'z' }),
      ]);
      const first = written(results[0]);
      expect(first.replay).toBe(false);
      const replay = written(results[2]);
      expect(replay.replay).toBe(true);
      expect(plain(replay.row)).toEqual(plain(first.row));
      expect(replay.recipientIds).toEqual([d.b]);
      for (const index of [3, 4, 5]) {
        expect(refusal(results[index])).toMatchObject({ code: 'CONFLICT' });
      }
      expect([first, written(results[1]), written(results[6])].map((w) => w.row.seq)).toEqual([
        1, 2, 3,
      ]);
      expect(await storedCount(d.conversationId)).toBe(3);
      expect(await storedCount(other.conversationId)).toBe(0);
      expect(await storedRow(first.row.id)).toEqual(plain(first.row));
    });

    it('should create the pair at its first send the database accepts and replay later repeats against it', async () => {
      const d = await direct();
      const notMine = await direct();
      const results = await oneBatch([
        to(notMine, { senderId: d.a, content: 'x', clientMessageId: 'late' }),
        to(d, { content: 'x', clientMessageId: 'late', replyToId: randomUUID() }),
        to(d, { content: 'x', clientMessageId: 'late' }),
        to(d, { content: 'x', clientMessageId: 'late' }),
        to(d, { content: 'x', clientMessageId: 'late', replyToId: randomUUID() }),
      ]);
      expect(refusal(results[0])).toMatchObject({ code: 'FORBIDDEN' });
      expect(refusal(results[1])).toMatchObject({ code: 'VALIDATION_FAILED' });
      const created = written(results[2]);
      expect(created).toMatchObject({ replay: false, row: { seq: 1, content: 'x' } });
      expect(written(results[3])).toMatchObject({ replay: true, row: { id: created.row.id } });
      // The reply_to differs from the created message's: a different body.
      expect(refusal(results[4])).toMatchObject({ code: 'CONFLICT' });
      expect(await storedCount(d.conversationId)).toBe(1);
    });
  });

  it('should replay a stored message that was edited or deleted since, as it is now', async () => {
    const d = await direct();
    const [edited, deleted, plainOne] = (
      await oneBatch([
        to(d, { content: 'original', clientMessageId: 'e1' }),
        to(d, { content: 'doomed', clientMessageId: 'e2' }),
        to(d, { content: 'kept', clientMessageId: 'e3' }),
      ])
    ).map(written);
    await service.app.get(MessageEditsService).edit(d.a, edited.row.id, { content: 'edited' });
    await service.app.get(MessageDeletionsService).delete(d.a, deleted.row.id);
    const results = await oneBatch([
      to(d, { content: 'original', clientMessageId: 'e1' }),
      to(d, { content: 'doomed', clientMessageId: 'e2' }),
      to(d, { content: 'kept', clientMessageId: 'e3' }),
      to(d, { content: 'kept?', clientMessageId: 'e3' }),
      to(d, { content: 'original', clientMessageId: 'e1', messageType: 'image' }),
    ]);
    const [replayEdited, replayDeleted, replayPlain] = results.slice(0, 3).map(written);
    expect(replayEdited.replay).toBe(true);
    expect(plain(replayEdited.row)).toEqual(await storedRow(edited.row.id));
    expect(replayEdited.row).toMatchObject({ content: 'edited', version: 4 });
    expect(replayEdited.row.edited_at).not.toBeNull();
    expect(replayDeleted.replay).toBe(true);
    expect(plain(replayDeleted.row)).toEqual(await storedRow(deleted.row.id));
    expect(replayDeleted.row).toMatchObject({ content: '', version: 5 });
    expect(replayDeleted.row.deleted_at).not.toBeNull();
    expect(plain(replayPlain.row)).toEqual(plain(plainOne.row));
    expect(refusal(results[3])).toMatchObject({ code: 'CONFLICT' });
    expect(refusal(results[4])).toMatchObject({ code: 'CONFLICT' });
    expect(await counters(d.conversationId)).toEqual([3, 5]);
  });

  it('should refuse replies to a deleted message, another conversation or an unknown id, and thread the valid ones', async () => {
    const d = await direct();
    const other = await direct(d.a);
    const [root, gone] = (
      await oneBatch([to(d, { content: 'root' }), to(d, { content: 'gone' })])
    ).map(written);
    const [elsewhere] = (await oneBatch([to(other, { content: 'elsewhere' })])).map(written);
    const [firstReply] = (await oneBatch([to(d, { content: 'r1', replyToId: root.row.id })])).map(
      written,
    );
    expect(firstReply.row.thread_root_id).toBe(root.row.id);
    expect(firstReply.root).toMatchObject({ id: root.row.id, reply_count: 1, version: 4 });
    await service.app.get(MessageDeletionsService).delete(d.a, gone.row.id);

    const results = await oneBatch([
      to(d, { content: 'r2', replyToId: firstReply.row.id }),
      to(d, { content: 'to a tombstone', replyToId: gone.row.id }),
      to(d, { content: 'across', replyToId: elsewhere.row.id }),
      to(d, { content: 'to nothing', replyToId: randomUUID() }),
      to(d, { senderId: d.b, recipientId: d.a, content: 'r3', replyToId: root.row.id }),
    ]);
    for (const index of [1, 2, 3]) {
      expect(refusal(results[index])).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const [r2, r3] = [written(results[0]), written(results[4])];
    expect([r2.row.thread_root_id, r3.row.thread_root_id]).toEqual([root.row.id, root.row.id]);
    expect([r2.row.seq, r3.row.seq]).toEqual([4, 5]);
    // The root changes once, after the batch's replies, and comes back with the last of them.
    expect(r2.root).toBeNull();
    expect(r3.root).toMatchObject({ id: root.row.id, reply_count: 3, version: 8 });
    expect(plain(r3.root as MessageRow)).toEqual(await storedRow(root.row.id));
    for (const reply of [r2, r3]) {
      expect(await storedRow(reply.row.id)).toEqual(plain(reply.row));
    }
    expect(await counters(d.conversationId)).toEqual([5, 8]);
  });

  it('should keep only active participants other than the sender among the mentions, in the order given', async () => {
    const [alice, bob, carol, dave, eve] = (await insertUsers(db, 5, 'mention')).map((u) => u.id);
    const group = await insertGroup(db, alice, { members: [bob, carol, dave] });
    await db.query(
      'UPDATE conversation_members SET left_seq = 0 WHERE conversation_id = $1 AND user_id = $2',
      [group.conversationId, dave],
    );
    const send = (mentions: string[] | null): PendingSend => ({
      conversationId: group.conversationId,
      senderId: alice,
      recipientId: null,
      groupId: group.id,
      privateGroup: false,
      content: 'hey',
      messageType: 'text',
      clientMessageId: null,
      mentions,
    });
    const results = (
      await oneBatch([
        send([carol, eve, alice, dave, bob, randomUUID()]),
        send([eve, dave]),
        send(null),
      ])
    ).map(written);
    expect(results.map((w) => w.row.mentions)).toEqual([[carol, bob], [], []]);
    expect(results.map((w) => w.recipientIds.sort())).toEqual(Array(3).fill([bob, carol].sort()));
    for (const w of results) {
      expect(await storedRow(w.row.id)).toEqual(plain(w.row));
    }
  });

  it('should number a mixed batch gap-free per conversation, in arrival order, and move the senders markers', async () => {
    const d1 = await direct();
    const d2 = await direct(d1.a);
    const notMine = await direct();
    const [stored] = (await oneBatch([to(d1, { content: 'p', clientMessageId: 'p' })])).map(
      written,
    );
    const results = await oneBatch([
      to(d1, { content: 'a' }),
      to(d2, { content: 'b', clientMessageId: 'b' }),
      to(notMine, { senderId: d1.a, content: 'forbidden' }),
      to(d1, { content: 'p', clientMessageId: 'p' }),
      to(d1, { content: 'p2', clientMessageId: 'p' }),
      to(d2, { content: 'bad reply', replyToId: randomUUID() }),
      to(d1, { senderId: d1.b, recipientId: d1.a, content: 'reply', replyToId: stored.row.id }),
      to(d2, { content: 'c', clientMessageId: 'c', mentions: [d2.b] }),
      to(d1, { content: 'd' }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.row.seq : null))).toEqual([
      2,
      1,
      null,
      1,
      null,
      null,
      3,
      2,
      4,
    ]);
    expect(refusal(results[2])).toMatchObject({ code: 'FORBIDDEN' });
    expect(refusal(results[4])).toMatchObject({ code: 'CONFLICT' });
    expect(refusal(results[5])).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(written(results[3]).replay).toBe(true);
    expect(written(results[6]).root).toMatchObject({ id: stored.row.id, version: 5 });
    for (const index of [0, 1, 6, 7, 8]) {
      const w = written(results[index]);
      expect(w.replay).toBe(false);
      expect(await storedRow(w.row.id)).toEqual(plain(w.row));
    }
    expect(written(results[7]).row.mentions).toEqual([d2.b]);
    expect(await counters(d1.conversationId)).toEqual([4, 5]);
    expect(await counters(d2.conversationId)).toEqual([2, 2]);
    expect(await storedCount(notMine.conversationId)).toBe(0);
    // Each sender's read and delivery markers follow their newest message of the batch.
    const markers = async (conversationId: string, userId: string) =>
      (
        await db.query<{ read: string; delivered: string }[]>(
          `SELECT last_read_seq AS read, last_delivered_seq AS delivered FROM conversation_members
            WHERE conversation_id = $1 AND user_id = $2`,
          [conversationId, userId],
        )
      ).map((m) => [Number(m.read), Number(m.delivered)])[0];
    expect(await markers(d1.conversationId, d1.a)).toEqual([4, 4]);
    expect(await markers(d1.conversationId, d1.b)).toEqual([3, 3]);
    expect(await markers(d2.conversationId, d2.a)).toEqual([2, 2]);
    expect(await markers(d2.conversationId, d2.b)).toEqual([0, 0]);
  });
});
