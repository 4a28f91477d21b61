import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import type { ConversationChanges, Message, UnreadSummary } from '../libs/contracts/src';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

describe('message lifecycle over REST: replies, mentions, versions and changes', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;
  let group: { id: string; conversationID: string };

  before(async () => {
    app = await createTestApp();
    [alice, bob, carol, dave] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
      signedInUser(app.app, 'dave'),
    ]);
    group = await createGroup(app, alice, 'threads');
    await joinGroup(app, bob, group.id);
    await joinGroup(app, carol, group.id);
  });

  after(async () => {
    await app.close();
  });

  const get = async <T>(user: RegisteredUser, path: string): Promise<T> =>
    (await app.http().get(path).set('Authorization', user.auth).expect(200)).body.data as T;
  const changes = (user: RegisteredUser, ref: string, since: number, limit = 100) =>
    get<ConversationChanges>(
      user,
      `/api/conversations/${ref}/changes?sinceVersion=${since}&limit=${limit}`,
    );
  const unreadOf = async (user: RegisteredUser, conversationID: string) => {
    const summary = await get<UnreadSummary>(user, '/api/messages/unread');
    return {
      mentions: summary.mentions,
      conversation: summary.conversations.find((c) => c.conversationID === conversationID),
    };
  };

  it('should thread replies under the top message and keep the root summary', async () => {
    const root = await sendHttp(app, alice, { groupID: group.id, content: 'root' });
    const reply = await sendHttp(app, bob, {
      groupID: group.id,
      content: 'reply',
      replyToID: root.id,
    });
    expect(reply).toMatchObject({ replyToID: root.id, threadRootID: root.id, seq: root.seq + 1 });
    const nested = await sendHttp(app, carol, {
      groupID: group.id,
      content: 'reply to reply',
      replyToID: reply.id,
    });
    expect(nested).toMatchObject({ replyToID: reply.id, threadRootID: root.id });
    const page = await app
      .http()
      .get(`/api/messages/${root.id}/replies?limit=1`)
      .set('Authorization', carol.auth)
      .expect(200);
    expect(page.body.data.map((m: Message) => m.id)).toEqual([reply.id]);
    expect(page.body.pagination).toMatchObject({ hasMore: true, nextCursor: reply.seq });
    const rest = await get<Message[]>(
      carol,
      `/api/messages/${reply.id}/replies?after=${reply.seq}`,
    );
    expect(rest.map((m) => m.id)).toEqual([nested.id]);
    const [updatedRoot] = (await changes(alice, group.id, nested.version)).messages;
    expect(updatedRoot).toMatchObject({ id: root.id, replyCount: 2 });
    expect(updatedRoot.lastReplyAt).toBe(nested.timestamp);
    expect(updatedRoot.version).toBe(nested.version + 1);
  });

  it('should refuse replyToID from another conversation or of no message with 400', async () => {
    const elsewhere = await sendHttp(app, alice, { recipientID: bob.id, content: 'direct' });
    for (const replyToID of [elsewhere.id, '00000000-0000-4000-8000-000000000000']) {
      const response = await app
        .http()
        .post('/api/messages/send')
        .set('Authorization', alice.auth)
        .send({ groupID: group.id, content: 'bad reply', replyToID });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('should keep only current participants in mentions, dropping the sender silently', async () => {
    const message = await sendHttp(app, alice, {
      groupID: group.id,
      content: '@bob @dave @alice',
      mentions: [bob.id, dave.id, alice.id, bob.id, '00000000-0000-4000-8000-000000000000'],
    });
    expect(message.mentions).toEqual([bob.id]);
    const tooMany = await app
      .http()
      .post('/api/messages/send')
      .set('Authorization', alice.auth)
      .send({ groupID: group.id, content: 'x', mentions: Array(51).fill(bob.id) });
    expect(tooMany.status).toBe(400);
  });

  it('should count mentions above the read marker and follow edits, deletions and reads', async () => {
    await app
      .http()
      .post(`/api/conversations/${group.id}/read`)
      .set('Authorization', carol.auth)
      .send({})
      .expect(200);
    const first = await sendHttp(app, alice, {
      groupID: group.id,
      content: 'hey carol',
      mentions: [carol.id],
    });
    const second = await sendHttp(app, bob, {
      groupID: group.id,
      content: 'carol again',
      mentions: [carol.id],
    });
    let unread = await unreadOf(carol, group.conversationID);
    expect(unread.conversation?.mentionCount).toBe(2);
    expect(unread.mentions).toBe(2);
    await app
      .http()
      .patch(`/api/messages/${first.id}`)
      .set('Authorization', alice.auth)
      .send({ content: 'hey everyone', mentions: [] })
      .expect(200);
    unread = await unreadOf(carol, group.conversationID);
    expect(unread.conversation?.mentionCount).toBe(1);
    await app
      .http()
      .delete(`/api/messages/${second.id}`)
      .set('Authorization', bob.auth)
      .expect(204);
    unread = await unreadOf(carol, group.conversationID);
    expect(unread.conversation?.mentionCount).toBe(0);
    const third = await sendHttp(app, bob, {
      groupID: group.id,
      content: 'carol 3',
      mentions: [carol.id],
    });
    expect((await unreadOf(carol, group.conversationID)).mentions).toBe(1);
    await app
      .http()
      .put(`/api/messages/${third.id}/read`)
      .set('Authorization', carol.auth)
      .expect(200);
    expect((await unreadOf(carol, group.conversationID)).mentions).toBe(0);
  });

  it('should list each conversation version and page changes, each message once, in version order', async () => {
    const conversation = await sendHttp(app, alice, { recipientID: carol.id, content: 'a' });
    const b = await sendHttp(app, carol, { recipientID: alice.id, content: 'b' });
    const c = await sendHttp(app, alice, { recipientID: carol.id, content: 'c' });
    const ref = conversation.conversationID;
    const patch = (id: string, content: string) =>
      app
        .http()
        .patch(`/api/messages/${id}`)
        .set('Authorization', alice.auth)
        .send({ content })
        .expect(200);
    await patch(conversation.id, 'a2');
    await app
      .http()
      .put(`/api/messages/${b.id}/reactions/${encodeURIComponent('👍')}`)
      .set('Authorization', alice.auth)
      .expect(200);
    await patch(conversation.id, 'a3');
    await app.http().delete(`/api/messages/${c.id}`).set('Authorization', alice.auth).expect(204);
    const listed = await get<{ id: string; version: number }[]>(alice, '/api/conversations');
    expect(listed.find((item) => item.id === ref)?.version).toBe(7);

    const firstPage = await changes(carol, ref, 1, 2);
    expect(firstPage.hasMore).toBe(true);
    expect(firstPage.messages.map((m) => [m.id, m.version])).toEqual([
      [b.id, 5],
      [conversation.id, 6],
    ]);
    expect(firstPage.version).toBe(6);
    const lastPage = await changes(carol, ref, firstPage.version, 2);
    expect(lastPage).toMatchObject({ hasMore: false, version: 7 });
    expect(lastPage.messages).toHaveLength(1);
    expect(lastPage.messages[0]).toMatchObject({ id: c.id, deleted: true, content: '' });
    expect(firstPage.messages[1].content).toBe('a3');
    expect(await changes(carol, ref, 7)).toEqual({ messages: [], version: 7, hasMore: false });
  });

  it('should answer bad change queries with the SPEC envelope, and non-participants with 403', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'x' });
    for (const query of [
      '',
      '?sinceVersion=-1',
      '?sinceVersion=abc',
      '?sinceVersion=0&limit=101',
    ]) {
      const response = await app
        .http()
        .get(`/api/conversations/${message.conversationID}/changes${query}`)
        .set('Authorization', alice.auth);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    await app
      .http()
      .get(`/api/conversations/${message.conversationID}/changes?sinceVersion=0`)
      .set('Authorization', carol.auth)
      .expect(403);
  });

  it('should lose no concurrent edit or reaction from several users, with versions gap-free', async () => {
    const message = await sendHttp(app, alice, { groupID: group.id, content: 'race' });
    const users = [alice, bob, carol];
    const emoji = [':a:', ':b:', ':c:', ':d:', ':e:'];
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (const user of users) {
        work.push(
          app
            .http()
            .put(`/api/messages/${message.id}/reactions/${emoji[round]}`)
            .set('Authorization', user.auth)
            .expect(200),
        );
      }
      work.push(
        app
          .http()
          .patch(`/api/messages/${message.id}`)
          .set('Authorization', alice.auth)
          .send({ content: `edit ${round}` })
          .expect(200),
      );
    }
    await Promise.all(work);
    const feed = await changes(bob, group.id, message.version - 1);
    const final = feed.messages.find((m) => m.id === message.id) as Message;
    // Concurrent: the order of first use is whichever committed first.
    expect(final.reactions.map((r) => [r.emoji, r.count]).sort()).toEqual(emoji.map((e) => [e, 3]));
    expect(final.version).toBe(message.version + 20);
    expect(feed.version).toBe(final.version);
    const db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      const edits = await db.query(
        'SELECT count(*)::int AS n FROM message_edits WHERE message_id = $1',
        [message.id],
      );
      expect(edits.rows[0].n).toBe(5);
      const conv = await db.query(
        'SELECT version::int AS v, last_seq::int AS s FROM conversations WHERE id = $1',
        [group.conversationID],
      );
      expect(conv.rows[0].v).toBe(final.version);
    } finally {
      await db.end();
    }
  });

  it('should let exactly one of several concurrent new emoji take the 50th place', async () => {
    const message = await sendHttp(app, alice, { groupID: group.id, content: 'crowded' });
    for (let i = 0; i < 49; i += 1) {
      await app
        .http()
        .put(`/api/messages/${message.id}/reactions/:f${i}:`)
        .set('Authorization', alice.auth)
        .expect(200);
    }
    const racers = [alice, bob, carol, alice, bob, carol];
    const results = await Promise.all(
      racers.map((user, i) =>
        app
          .http()
          .put(`/api/messages/${message.id}/reactions/:late${i}:`)
          .set('Authorization', user.auth),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const feed = await changes(bob, group.id, message.version);
    const final = feed.messages.find((m) => m.id === message.id) as Message;
    expect(final.reactions).toHaveLength(50);
    expect(final.version).toBe(message.version + 50);
  });

  it('should end a delete racing an edit as a tombstone whatever the order', async () => {
    for (let i = 0; i < 5; i += 1) {
      const message = await sendHttp(app, bob, { groupID: group.id, content: `doomed ${i}` });
      const [edited, deleted] = await Promise.all([
        app
          .http()
          .patch(`/api/messages/${message.id}`)
          .set('Authorization', bob.auth)
          .send({ content: 'saved?' }),
        app.http().delete(`/api/messages/${message.id}`).set('Authorization', bob.auth),
      ]);
      expect([200, 404]).toContain(edited.status);
      expect(deleted.status).toBe(204);
      const feed = await changes(bob, group.id, message.version - 1);
      const final = feed.messages.find((m) => m.id === message.id) as Message;
      expect(final).toMatchObject({ deleted: true, content: '' });
      expect(final.version).toBe(message.version + (edited.status === 200 ? 2 : 1));
      const db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
      try {
        const stored = await db.query(
          `SELECT m.content, cardinality(m.mentions) AS mentions,
                  (SELECT count(*)::int FROM message_edits e WHERE e.message_id = m.id) AS edits
             FROM messages m WHERE m.id = $1`,
          [message.id],
        );
        expect(stored.rows[0]).toEqual({ content: '', mentions: 0, edits: 0 });
      } finally {
        await db.end();
      }
    }
  });
});
