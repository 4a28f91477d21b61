import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import type { Message } from '../libs/contracts/src';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

describe('message lifecycle over REST: edits, deletions, reactions', () => {
  let app: TestApp;
  let db: Client;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;

  before(async () => {
    app = await createTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    [alice, bob, carol, dave] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
      signedInUser(app.app, 'dave'),
    ]);
  });

  after(async () => {
    await db.end();
    await app.close();
  });

  const edit = (user: RegisteredUser, id: string, body: Record<string, unknown>) =>
    app.http().patch(`/api/messages/${id}`).set('Authorization', user.auth).send(body);
  const remove = (user: RegisteredUser, id: string) =>
    app.http().delete(`/api/messages/${id}`).set('Authorization', user.auth);
  const react = (user: RegisteredUser, id: string, emoji: string) =>
    app
      .http()
      .put(`/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`)
      .set('Authorization', user.auth);
  const unreact = (user: RegisteredUser, id: string, emoji: string) =>
    app
      .http()
      .delete(`/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`)
      .set('Authorization', user.auth);
  const history = async (user: RegisteredUser, ref: string): Promise<Message[]> =>
    (
      await app
        .http()
        .get(`/api/messages/history/${ref}?limit=100`)
        .set('Authorization', user.auth)
        .expect(200)
    ).body.data as Message[];

  it('should give every message the lifecycle fields and a version taken with its seq', async () => {
    const first = await sendHttp(app, alice, { recipientID: dave.id, content: 'one' });
    const second = await sendHttp(app, dave, { recipientID: alice.id, content: 'two' });
    expect(first).toMatchObject({
      version: 1,
      editedAt: null,
      deleted: false,
      replyToID: null,
      threadRootID: null,
      replyCount: 0,
      lastReplyAt: null,
      mentions: [],
      reactions: [],
      attachments: [],
    });
    expect(second.version).toBe(2);
  });

  it('should let the sender edit, keep the previous content, and refuse anyone else with 403', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'helo' });
    await edit(bob, message.id, { content: 'hijack' }).expect(403);
    const edited = await edit(alice, message.id, { content: 'hello' }).expect(200);
    expect(edited.body.data).toMatchObject({ id: message.id, seq: message.seq, content: 'hello' });
    expect(edited.body.data.version).toBe(message.version + 1);
    expect(typeof edited.body.data.editedAt).toBe('string');
    const kept = await db.query('SELECT content FROM message_edits WHERE message_id = $1', [
      message.id,
    ]);
    expect(kept.rows).toEqual([{ content: 'helo' }]);
    const listed = await history(bob, alice.id);
    expect(listed.find((m) => m.id === message.id)?.content).toBe('hello');
  });

  it('should change nothing when the same content is sent again', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'same' });
    const again = await edit(alice, message.id, { content: 'same' }).expect(200);
    expect(again.body.data.version).toBe(message.version);
    expect(again.body.data.editedAt).toBeNull();
  });

  it('should validate edits with the SPEC envelope', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'x' });
    const empty = await edit(alice, message.id, { content: '' }).expect(400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
    await edit(alice, message.id, { content: 'ok', extra: 1 }).expect(400);
    await edit(alice, message.id, { content: 'ok', mentions: ['nope'] }).expect(400);
    await edit(alice, 'not-a-uuid', { content: 'ok' }).expect(400);
    await edit(alice, '00000000-0000-4000-8000-000000000000', { content: 'ok' }).expect(404);
    await edit(carol, message.id, { content: 'ok' }).expect(403);
  });

  it('should turn a deleted message into a tombstone with the same id and seq, idempotently', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'secret' });
    await react(bob, message.id, '👍').expect(200);
    await remove(bob, message.id).expect(403);
    const deleted = await remove(alice, message.id).expect(204);
    expect(deleted.text).toBe('');
    await remove(alice, message.id).expect(204);
    const tombstone = (await history(bob, alice.id)).find((m) => m.id === message.id);
    expect(tombstone).toMatchObject({
      id: message.id,
      seq: message.seq,
      deleted: true,
      content: '',
      reactions: [],
      mentions: [],
      attachments: [],
    });
    expect(tombstone?.version).toBe(message.version + 2);
    await edit(alice, message.id, { content: 'back' }).expect(404);
    await react(bob, message.id, '👍').expect(404);
    const stored = await db.query(
      `SELECT content, (SELECT count(*)::int FROM message_reactions WHERE message_id = $1) AS reactions
         FROM messages WHERE id = $1`,
      [message.id],
    );
    expect(stored.rows[0]).toEqual({ content: '', reactions: 0 });
  });

  it("should let a group's owner or admin delete anyone's message, but not a member", async () => {
    const group = await createGroup(app, alice, 'deleters');
    await joinGroup(app, bob, group.id);
    await joinGroup(app, carol, group.id);
    const byBob = await sendHttp(app, bob, { groupID: group.id, content: 'from bob' });
    await remove(carol, byBob.id).expect(403);
    await app
      .http()
      .patch(`/api/groups/${group.id}/members/${carol.id}`)
      .set('Authorization', alice.auth)
      .send({ role: 'admin' })
      .expect(200);
    await remove(carol, byBob.id).expect(204);
    const byCarol = await sendHttp(app, carol, { groupID: group.id, content: 'from carol' });
    await remove(alice, byCarol.id).expect(204);
    const listed = await history(bob, group.id);
    expect(listed.filter((m) => m.deleted).map((m) => m.id)).toEqual([byCarol.id, byBob.id]);
    expect(listed.map((m) => m.seq)).toEqual([2, 1]);
  });

  it('should keep reactions as totals per emoji in order of first use, idempotent per user', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'react to me' });
    await react(bob, message.id, '❤️').expect(200);
    await react(alice, message.id, ':tada:').expect(200);
    await react(alice, message.id, '❤').expect(200);
    const repeat = await react(bob, message.id, '\u2764').expect(200);
    expect(repeat.body.data.reactions).toEqual([
      { emoji: '\u2764', count: 2, userIDs: [bob.id, alice.id] },
      { emoji: ':tada:', count: 1, userIDs: [alice.id] },
    ]);
    expect(repeat.body.data.version).toBe(message.version + 3);
    const removed = await unreact(bob, message.id, '❤️').expect(200);
    expect(removed.body.data.reactions).toEqual([
      { emoji: '\u2764', count: 1, userIDs: [alice.id] },
      { emoji: ':tada:', count: 1, userIDs: [alice.id] },
    ]);
    const again = await unreact(bob, message.id, '❤️').expect(200);
    expect(again.body.data.version).toBe(removed.body.data.version);
    await react(carol, message.id, '👍').expect(403);
  });

  it('should refuse anything but one emoji or a :short_name: with 400', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'emoji rules' });
    for (const bad of ['👍👍', 'a', ':Bad:', 'thumbs', '  ', '%', '👍'.repeat(40)]) {
      const response = await react(bob, message.id, bad);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    const broken = await app
      .http()
      .put(`/api/messages/${message.id}/reactions/%E0%A4%A`)
      .set('Authorization', bob.auth);
    expect(broken.status).toBe(400);
    expect(broken.body.success).toBe(false);
  });

  it('should hold at most 50 distinct emoji on a message (the 51st is 409)', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'many' });
    for (let i = 0; i < 50; i += 1) {
      await react(bob, message.id, `:e${i}:`).expect(200);
    }
    const refused = await react(alice, message.id, ':e50:').expect(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    const existing = await react(alice, message.id, ':e7:').expect(200);
    expect(existing.body.data.reactions).toHaveLength(50);
    expect(existing.body.data.reactions[7]).toEqual({
      emoji: ':e7:',
      count: 2,
      userIDs: [bob.id, alice.id],
    });
  });
});

describe('message edits with EDIT_WINDOW_SECONDS', () => {
  let app: TestApp;
  let db: Client;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    app = await createTestApp({ env: { EDIT_WINDOW_SECONDS: '60' } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    [alice, bob] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
    ]);
  });

  after(async () => {
    await db.end();
    await app.close();
  });

  it('should let the sender edit inside the window and refuse with 403 past it', async () => {
    const message = await sendHttp(app, alice, { recipientID: bob.id, content: 'fresh' });
    await app
      .http()
      .patch(`/api/messages/${message.id}`)
      .set('Authorization', alice.auth)
      .send({ content: 'still fresh' })
      .expect(200);
    await db.query(`UPDATE messages SET created_at = now() - interval '61 seconds' WHERE id = $1`, [
      message.id,
    ]);
    const late = await app
      .http()
      .patch(`/api/messages/${message.id}`)
      .set('Authorization', alice.auth)
      .send({ content: 'too late' })
      .expect(403);
    expect(late.body.error.code).toBe('FORBIDDEN');
    // Deleting is not an edit: the window does not apply.
    await app
      .http()
      .delete(`/api/messages/${message.id}`)
      .set('Authorization', alice.auth)
      .expect(204);
  });
});
