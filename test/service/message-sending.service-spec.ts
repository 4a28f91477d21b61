import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { MessageSendingService } from '../../src/messaging/message-sending.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertGroup, insertUsers, type SqlUser } from '../utils/sql-factories';

describe('MessageSendingService', () => {
  let service: ServiceApp;
  let sending: MessageSendingService;

  const rows = async (sql: string, params: unknown[]): Promise<number> =>
    Number((await service.db.query<{ n: string }[]>(sql, params))[0].n);

  before(async () => {
    service = await createServiceApp();
    sending = service.app.get(MessageSendingService);
  });

  after(async () => {
    await service.close();
  });

  describe('clientMessageID', () => {
    it('should store a retried send once and answer the retry with the stored message', async () => {
      const [alice, bob] = await insertUsers(service.db, 2, 'idem');
      const first = await sending.send(alice.id, {
        recipientID: bob.id,
        content: 'once',
        clientMessageID: 'c-1',
      });
      const retry = await sending.send(alice.id, {
        recipientID: bob.id,
        content: 'once',
        clientMessageID: 'c-1',
      });
      expect(retry).toMatchObject({ id: first.id, seq: first.seq, content: 'once' });
      expect(
        await rows('SELECT count(*) AS n FROM messages WHERE sender_id = $1', [alice.id]),
      ).toBe(1);
    });

    it('should store concurrent duplicates once, every caller getting the same message', async () => {
      const [alice, bob] = await insertUsers(service.db, 2, 'idem');
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          sending.send(alice.id, { recipientID: bob.id, content: 'dup', clientMessageID: 'c-2' }),
        ),
      );
      expect(new Set(results.map((m) => m.id)).size).toBe(1);
      expect(results.map((m) => m.seq)).toEqual(Array(8).fill(1));
      expect(
        await rows('SELECT count(*) AS n FROM messages WHERE sender_id = $1', [alice.id]),
      ).toBe(1);
    });

    it('should scope the id to its sender: another sender with the same id stores its own message', async () => {
      const [alice, bob] = await insertUsers(service.db, 2, 'idem');
      const mine = await sending.send(alice.id, {
        recipientID: bob.id,
        content: 'a',
        clientMessageID: 'same',
      });
      const theirs = await sending.send(bob.id, {
        recipientID: alice.id,
        content: 'b',
        clientMessageID: 'same',
      });
      expect(theirs.id).not.toBe(mine.id);
      expect([mine.seq, theirs.seq]).toEqual([1, 2]);
    });
  });

  describe('seq', () => {
    it('should number concurrent sends to one conversation 1..N with no gap and no repeat', async () => {
      const [owner, ...members] = await insertUsers(service.db, 5, 'seq');
      const group = await insertGroup(service.db, owner.id, { members: members.map((m) => m.id) });
      const senders = [owner, ...members];
      const sent = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          sending.send(senders[i % senders.length].id, { groupID: group.id, content: `m${i}` }),
        ),
      );
      const seqs = sent.map((m) => m.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      const stored = await service.db.query<{ seq: string }[]>(
        'SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq',
        [group.conversationId],
      );
      expect(stored.map((r) => Number(r.seq))).toEqual(seqs);
      expect(
        await rows('SELECT last_seq AS n FROM conversations WHERE id = $1', [group.conversationId]),
      ).toBe(60);
    });
  });

  describe('direct conversations', () => {
    it('should create one conversation per pair under concurrent first sends from two instances', async () => {
      // A second app on the same database: its resolver's cache and single-flight know nothing of
      // the first's, so only the database can keep the pair to one conversation.
      const other = await createServiceApp({ databaseUrl: service.databaseUrl });
      try {
        const otherSending = other.app.get(MessageSendingService);
        const pairs: [SqlUser, SqlUser][] = [];
        const users = await insertUsers(service.db, 8, 'pair');
        for (let i = 0; i < users.length; i += 2) {
          pairs.push([users[i], users[i + 1]]);
        }
        const sent = await Promise.all(
          pairs.flatMap(([a, b]) => [
            sending.send(a.id, { recipientID: b.id, content: 'a->b' }),
            otherSending.send(b.id, { recipientID: a.id, content: 'b->a' }),
            otherSending.send(a.id, { recipientID: b.id, content: 'a->b again' }),
            sending.send(b.id, { recipientID: a.id, content: 'b->a again' }),
          ]),
        );
        for (const [index, [a]] of pairs.entries()) {
          const mine = sent.slice(index * 4, index * 4 + 4);
          expect(new Set(mine.map((m) => m.conversationID)).size).toBe(1);
          expect(mine.map((m) => m.seq).sort()).toEqual([1, 2, 3, 4]);
          expect(
            await rows(
              `SELECT count(*) AS n FROM conversations WHERE type = 'direct' AND (user_low = $1 OR user_high = $1)`,
              [a.id],
            ),
          ).toBe(1);
        }
      } finally {
        await other.close();
      }
    });

    it('should refuse a direct message to yourself and to an unknown user', async () => {
      const [alice] = await insertUsers(service.db, 1, 'self');
      await expect(
        sending.send(alice.id, { recipientID: alice.id, content: 'me' }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        sending.send(alice.id, {
          recipientID: '00000000-0000-4000-8000-000000000000',
          content: 'x',
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
