import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import type { RegisteredUser } from './utils/factories';
import { postMessage } from './utils/api';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

describe('direct messages over REST', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  before(async () => {
    app = await createTestApp();
    [alice, bob, carol] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
    ]);
  });

  after(async () => {
    await app.close();
  });

  it('should store a direct message and return it with seq 1', async () => {
    const response = await postMessage(app, alice, {
      recipientID: bob.id,
      content: 'Hello, Bob!',
    }).expect(201);
    expect(response.body.success).toBe(true);
    expect(response.body.data).toMatchObject({
      senderID: alice.id,
      recipientID: bob.id,
      groupID: null,
      content: 'Hello, Bob!',
      messageType: 'text',
      seq: 1,
      delivered: false,
      read: false,
      clientMessageID: null,
    });
    expect(response.body.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(response.body.data.timestamp).toISOString()).toBe(response.body.data.timestamp);
  });

  it('should keep exactly one conversation per pair, whoever writes first', async () => {
    const first = await postMessage(app, bob, {
      recipientID: alice.id,
      content: 'Hi Alice',
    }).expect(201);
    const second = await postMessage(app, alice, { recipientID: bob.id, content: 'again' }).expect(
      201,
    );
    expect(first.body.data.conversationID).toBe(second.body.data.conversationID);
    expect(second.body.data.seq).toBe(first.body.data.seq + 1);
  });

  it('should create one conversation when both users of a new pair write first at once', async () => {
    const [hana, ivan] = await Promise.all([
      signedInUser(app.app, 'hana'),
      signedInUser(app.app, 'ivan'),
    ]);
    const sends = Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? postMessage(app, hana, { recipientID: ivan.id, content: `h${i}` })
        : postMessage(app, ivan, { recipientID: hana.id, content: `i${i}` }),
    );
    const responses = await Promise.all(sends);
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 201));
    const conversations = new Set(responses.map((r) => r.body.data.conversationID as string));
    expect(conversations.size).toBe(1);
    const seqs = responses.map((r) => r.body.data.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const rows = await app.app
      .get(DataSource)
      .query<{ n: string }[]>(
        `SELECT count(*) AS n FROM conversations WHERE type = 'direct' AND user_low = LEAST($1::uuid, $2::uuid) AND user_high = GREATEST($1::uuid, $2::uuid)`,
        [hana.id, ivan.id],
      );
    expect(Number(rows[0].n)).toBe(1);
  });

  it('should resolve history by conversation id and by the peer user id', async () => {
    const byPeer = await app
      .http()
      .get(`/api/messages/history/${bob.id}`)
      .set('Authorization', alice.auth)
      .expect(200);
    const conversationID = byPeer.body.data[0].conversationID as string;
    const byId = await app
      .http()
      .get(`/api/messages/history/${conversationID}`)
      .set('Authorization', bob.auth)
      .expect(200);
    expect(byId.body.data.map((m: { id: string }) => m.id)).toEqual(
      byPeer.body.data.map((m: { id: string }) => m.id),
    );
    const seqs = byPeer.body.data.map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => b - a));
    expect(byPeer.body.pagination).toMatchObject({ limit: 50, hasMore: false, nextCursor: null });
  });

  it('should refuse history to a non-participant with 403', async () => {
    const page = await app
      .http()
      .get(`/api/messages/history/${bob.id}`)
      .set('Authorization', alice.auth)
      .expect(200);
    const response = await app
      .http()
      .get(`/api/messages/history/${page.body.data[0].conversationID}`)
      .set('Authorization', carol.auth)
      .expect(403);
    expect(response.body).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
  });

  it('should answer an unknown conversation with 404 and a malformed id with 400', async () => {
    await app
      .http()
      .get('/api/messages/history/00000000-0000-4000-8000-000000000000')
      .set('Authorization', alice.auth)
      .expect(404);
    const bad = await app
      .http()
      .get('/api/messages/history/not-a-uuid')
      .set('Authorization', alice.auth)
      .expect(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('should return an empty history with a user never written to', async () => {
    const response = await app
      .http()
      .get(`/api/messages/history/${carol.id}`)
      .set('Authorization', alice.auth)
      .expect(200);
    expect(response.body.data).toEqual([]);
  });

  it('should reject invalid sends with VALIDATION_FAILED and store nothing', async () => {
    const before = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', bob.auth)
      .expect(200);
    const cases: Record<string, unknown>[] = [
      {},
      { content: 'no target' },
      { recipientID: bob.id },
      { recipientID: bob.id, content: '' },
      { recipientID: bob.id, content: 'x'.repeat(10_001) },
      { recipientID: bob.id, content: 'nul \u0000 inside' },
      { recipientID: bob.id, content: 42 },
      { recipientID: 'bob', content: 'hi' },
      { recipientID: bob.id, groupID: bob.id, content: 'both' },
      { recipientID: bob.id, content: 'hi', messageType: 'video' },
      { recipientID: bob.id, content: 'hi', clientMessageID: 'x'.repeat(65) },
      { recipientID: bob.id, content: 'hi', extra: true },
      { recipientID: alice.id, content: 'to myself' },
    ];
    for (const body of cases) {
      const response = await postMessage(app, alice, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    const after = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', bob.auth)
      .expect(200);
    expect(after.body.data.total).toBe(before.body.data.total);
  });

  it('should count content length in code points', async () => {
    const emoji = '😀'.repeat(10_000);
    const response = await postMessage(app, alice, {
      recipientID: carol.id,
      content: emoji,
    }).expect(201);
    expect(response.body.data.content).toBe(emoji);
  });

  it('should answer a send to an unknown user with 404', async () => {
    const response = await postMessage(app, alice, {
      recipientID: '00000000-0000-4000-8000-000000000000',
      content: 'hi',
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('should return the first message again for a repeated clientMessageID and 409 for a different body', async () => {
    const body = { recipientID: carol.id, content: 'once', clientMessageID: 'dup-1' };
    const first = await postMessage(app, bob, body).expect(201);
    const again = await postMessage(app, bob, body).expect(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.body.data.seq).toBe(first.body.data.seq);
    const conflict = await postMessage(app, bob, { ...body, content: 'different' }).expect(409);
    expect(conflict.body.error.code).toBe('CONFLICT');
    const history = await app
      .http()
      .get(`/api/messages/history/${carol.id}`)
      .set('Authorization', bob.auth)
      .expect(200);
    expect(
      history.body.data.filter((m: { clientMessageID: string }) => m.clientMessageID === 'dup-1'),
    ).toHaveLength(1);
  });

  it('should store one message when two sends with one clientMessageID race', async () => {
    const body = { recipientID: carol.id, content: 'racing', clientMessageID: 'race-1' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => postMessage(app, bob, body)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.data.id)).size).toBe(1);
  });

  it('should give gap-free seqs to concurrent senders in one conversation', async () => {
    const dave = await signedInUser(app.app, 'dave');
    const erin = await signedInUser(app.app, 'erin');
    const sends = Array.from({ length: 40 }, (_, i) =>
      postMessage(app, i % 2 ? dave : erin, {
        recipientID: i % 2 ? erin.id : dave.id,
        content: `m${i}`,
      }),
    );
    const responses = await Promise.all(sends);
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const seqs = responses.map((r) => r.body.data.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('should page through history with before and with after, seeing each message exactly once', async () => {
    const frank = await signedInUser(app.app, 'frank');
    const gina = await signedInUser(app.app, 'gina');
    for (let i = 0; i < 230; i += 1) {
      await postMessage(app, frank, { recipientID: gina.id, content: `n${i}` }).expect(201);
    }
    const seenBefore: number[] = [];
    let cursor: number | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const url: string = `/api/messages/history/${frank.id}?limit=100${cursor !== null ? `&before=${cursor}` : ''}`;
      const page = await app.http().get(url).set('Authorization', gina.auth).expect(200);
      seenBefore.push(...page.body.data.map((m: { seq: number }) => m.seq));
      cursor = page.body.pagination.nextCursor;
      if (!page.body.pagination.hasMore) {
        break;
      }
    }
    expect(seenBefore).toEqual(Array.from({ length: 230 }, (_, i) => 230 - i));

    const seenAfter: number[] = [];
    let afterCursor = 0;
    for (let guard = 0; guard < 10; guard += 1) {
      const page = await app
        .http()
        .get(`/api/messages/history/${frank.id}?limit=70&after=${afterCursor}`)
        .set('Authorization', gina.auth)
        .expect(200);
      seenAfter.push(...page.body.data.map((m: { seq: number }) => m.seq));
      if (!page.body.pagination.hasMore) {
        break;
      }
      afterCursor = page.body.pagination.nextCursor;
    }
    expect(seenAfter).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));

    const offset = await app
      .http()
      .get(`/api/messages/history/${frank.id}?limit=10&offset=20`)
      .set('Authorization', gina.auth)
      .expect(200);
    expect(offset.body.data.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => 210 - i),
    );
  });

  it('should reject bad history queries', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'before=-1',
      'after=x',
      'unknown=1',
    ]) {
      const response = await app
        .http()
        .get(`/api/messages/history/${bob.id}?${query}`)
        .set('Authorization', alice.auth);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });

  it('should count unread from the read marker and move it only forwards', async () => {
    const hank = await signedInUser(app.app, 'hank');
    const ivy = await signedInUser(app.app, 'ivy');
    const sent = [];
    for (let i = 0; i < 3; i += 1) {
      sent.push(
        (await postMessage(app, hank, { recipientID: ivy.id, content: `u${i}` }).expect(201)).body
          .data,
      );
    }
    const conversationID = sent[0].conversationID as string;
    const unread = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', ivy.auth)
      .expect(200);
    expect(unread.body.data.total).toBe(3);
    expect(unread.body.data.conversations).toEqual([
      { conversationID, unreadCount: 3, lastReadSeq: 0, lastSeq: 3, mentionCount: 0 },
    ]);
    const senderUnread = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', hank.auth)
      .expect(200);
    expect(senderUnread.body.data.total).toBe(0);

    const marked = await app
      .http()
      .put(`/api/messages/${sent[1].id}/read`)
      .set('Authorization', ivy.auth)
      .expect(200);
    expect(marked.body.data).toMatchObject({ conversationID, seq: 2, unreadCount: 1 });
    const back = await app
      .http()
      .post(`/api/conversations/${conversationID}/read`)
      .set('Authorization', ivy.auth)
      .send({ seq: 1 })
      .expect(200);
    // The answer is the marker as stored, not the seq asked for.
    expect(back.body.data).toMatchObject({ conversationID, seq: 2, unreadCount: 1 });
    const still = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', ivy.auth)
      .expect(200);
    expect(still.body.data.total).toBe(1);

    const history = await app
      .http()
      .get(`/api/messages/history/${conversationID}`)
      .set('Authorization', hank.auth)
      .expect(200);
    const bySeq = new Map(
      history.body.data.map((m: { seq: number; read: boolean; delivered: boolean }) => [m.seq, m]),
    );
    expect(bySeq.get(2)).toMatchObject({ read: true, delivered: true });
    expect(bySeq.get(3)).toMatchObject({ read: false });

    await app
      .http()
      .post(`/api/conversations/${hank.id}/read`)
      .set('Authorization', ivy.auth)
      .send({})
      .expect(200);
    const none = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', ivy.auth)
      .expect(200);
    expect(none.body.data.total).toBe(0);

    await app
      .http()
      .put(`/api/messages/${sent[0].id}/read`)
      .set('Authorization', alice.auth)
      .expect(403);
    await app
      .http()
      .put('/api/messages/00000000-0000-4000-8000-000000000000/read')
      .set('Authorization', ivy.auth)
      .expect(404);
    await app.http().put('/api/messages/nope/read').set('Authorization', ivy.auth).expect(400);
    await app
      .http()
      .post(`/api/conversations/${conversationID}/read`)
      .set('Authorization', ivy.auth)
      .send({ seq: -1 })
      .expect(400);
  });

  it('should list conversations most recent first with peer, last message and unread count', async () => {
    const jack = await signedInUser(app.app, 'jack');
    const kate = await signedInUser(app.app, 'kate');
    const liam = await signedInUser(app.app, 'liam');
    await postMessage(app, kate, { recipientID: jack.id, content: 'older' }).expect(201);
    await postMessage(app, liam, { recipientID: jack.id, content: 'newer' }).expect(201);
    const list = await app
      .http()
      .get('/api/conversations?limit=1')
      .set('Authorization', jack.auth)
      .expect(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      type: 'direct',
      peer: { id: liam.id, username: liam.username },
      lastMessage: { content: 'newer' },
      unreadCount: 1,
    });
    expect(list.body.pagination.hasMore).toBe(true);
    const next = await app
      .http()
      .get(`/api/conversations?limit=1&cursor=${list.body.pagination.nextCursor}`)
      .set('Authorization', jack.auth)
      .expect(200);
    expect(next.body.data[0]).toMatchObject({
      peer: { id: kate.id },
      lastMessage: { content: 'older' },
    });
    expect(next.body.pagination.hasMore).toBe(false);
    await app
      .http()
      .get('/api/conversations?cursor=garbage')
      .set('Authorization', jack.auth)
      .expect(400);
  });

  it('should require a token on every messaging route', async () => {
    await app
      .http()
      .post('/api/messages/send')
      .send({ recipientID: bob.id, content: 'x' })
      .expect(401);
    await app.http().get('/api/messages/unread').expect(401);
    await app.http().get('/api/conversations').expect(401);
  });
});
