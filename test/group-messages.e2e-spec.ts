import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { RegisteredUser } from './utils/factories';
import { createGroup, joinGroup, postMessage } from './utils/api';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

describe('group messages over REST', () => {
  let app: TestApp;
  let owner: RegisteredUser;
  let member: RegisteredUser;
  let outsider: RegisteredUser;

  before(async () => {
    app = await createTestApp();
    [owner, member, outsider] = await Promise.all([
      signedInUser(app.app, 'owner'),
      signedInUser(app.app, 'member'),
      signedInUser(app.app, 'outsider'),
    ]);
  });

  after(async () => {
    await app.close();
  });

  const leave = (user: RegisteredUser, groupId: string) =>
    app.http().delete(`/api/groups/${groupId}/leave`).set('Authorization', user.auth).expect(200);

  const history = (user: RegisteredUser, ref: string) =>
    app.http().get(`/api/messages/history/${ref}?limit=100`).set('Authorization', user.auth);

  it('should number 50 concurrent sends into one group 1..50 with no gap or repeat', async () => {
    const group = await createGroup(app, owner, {});
    await joinGroup(app, member, group.id);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        postMessage(app, i % 2 ? owner : member, { groupID: group.id, content: `c${i}` }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const seqs = responses.map((r) => r.body.data.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(responses[0].body.data).toMatchObject({
      groupID: group.id,
      recipientID: null,
      conversationID: group.conversationID,
      deliveredCount: 0,
      readCount: 0,
      delivered: false,
      read: false,
    });
    const page = await history(owner, group.id).expect(200);
    expect(page.body.data).toHaveLength(50);
  });

  it('should refuse sends from non-members: 403 for a public group, 404 for a private one', async () => {
    const open = await createGroup(app, owner, { visibility: 'public' });
    const closed = await createGroup(app, owner, { visibility: 'private' });
    const publicSend = await postMessage(app, outsider, { groupID: open.id, content: 'let me in' });
    expect(publicSend.status).toBe(403);
    expect(publicSend.body.error.code).toBe('FORBIDDEN');
    const privateSend = await postMessage(app, outsider, {
      groupID: closed.id,
      content: 'let me in',
    });
    expect(privateSend.status).toBe(404);
    await history(outsider, open.id).expect(403);
    await history(outsider, closed.id).expect(404);
    await history(outsider, closed.conversationID).expect(404);
    const unknown = await postMessage(app, owner, {
      groupID: '00000000-0000-4000-8000-000000000000',
      content: 'x',
    });
    expect(unknown.status).toBe(404);
  });

  it('should let a new member read the history from before they joined', async () => {
    const group = await createGroup(app, owner, {});
    await postMessage(app, owner, { groupID: group.id, content: 'before anyone joined' }).expect(
      201,
    );
    const newcomer = await signedInUser(app.app, 'newcomer');
    await joinGroup(app, newcomer, group.id);
    const page = await history(newcomer, group.conversationID).expect(200);
    expect(page.body.data.map((m: { content: string }) => m.content)).toEqual([
      'before anyone joined',
    ]);
  });

  it('should limit a member who left to what came before, and restore access on rejoin', async () => {
    const group = await createGroup(app, owner, {});
    const leaver = await signedInUser(app.app, 'leaver');
    await joinGroup(app, leaver, group.id);
    await postMessage(app, owner, { groupID: group.id, content: 'while a member' }).expect(201);
    await leave(leaver, group.id);
    await postMessage(app, owner, { groupID: group.id, content: 'after leaving' }).expect(201);

    const limited = await history(leaver, group.id).expect(200);
    expect(limited.body.data.map((m: { content: string }) => m.content)).toEqual([
      'while a member',
    ]);
    const refused = await postMessage(app, leaver, { groupID: group.id, content: 'still here?' });
    expect(refused.status).toBe(403);
    const unread = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', leaver.auth)
      .expect(200);
    const entry = unread.body.data.conversations.find(
      (c: { conversationID: string }) => c.conversationID === group.conversationID,
    );
    expect(entry).toMatchObject({ lastSeq: 1 });

    await joinGroup(app, leaver, group.id);
    const restored = await history(leaver, group.id).expect(200);
    expect(restored.body.data.map((m: { content: string }) => m.content)).toEqual([
      'after leaving',
      'while a member',
    ]);
  });

  it('should report group delivery and read counts from the members markers', async () => {
    const group = await createGroup(app, owner, {});
    const second = await signedInUser(app.app, 'second');
    await joinGroup(app, member, group.id);
    await joinGroup(app, second, group.id);
    const sent = (
      await postMessage(app, owner, { groupID: group.id, content: 'count me' }).expect(201)
    ).body.data;
    await app
      .http()
      .post(`/api/conversations/${group.id}/read`)
      .set('Authorization', member.auth)
      .send({})
      .expect(200);
    let page = await history(owner, group.id).expect(200);
    expect(page.body.data[0]).toMatchObject({
      id: sent.id,
      readCount: 1,
      deliveredCount: 1,
      read: false,
      delivered: false,
    });
    await app
      .http()
      .put(`/api/messages/${sent.id}/read`)
      .set('Authorization', second.auth)
      .expect(200);
    page = await history(owner, group.id).expect(200);
    expect(page.body.data[0]).toMatchObject({
      readCount: 2,
      deliveredCount: 2,
      read: true,
      delivered: true,
    });
  });

  it('should count group unread messages per member, not the sender', async () => {
    const group = await createGroup(app, owner, {});
    const reader = await signedInUser(app.app, 'reader');
    await joinGroup(app, reader, group.id);
    for (let i = 0; i < 4; i += 1) {
      await postMessage(app, owner, { groupID: group.id, content: `g${i}` }).expect(201);
    }
    const unread = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', reader.auth)
      .expect(200);
    expect(unread.body.data.conversations).toContainEqual({
      conversationID: group.conversationID,
      unreadCount: 4,
      lastReadSeq: 0,
      lastSeq: 4,
      mentionCount: 0,
    });
    const mine = await app
      .http()
      .get('/api/messages/unread')
      .set('Authorization', owner.auth)
      .expect(200);
    const ownEntry = mine.body.data.conversations.find(
      (c: { conversationID: string }) => c.conversationID === group.conversationID,
    );
    expect(ownEntry.unreadCount).toBe(0);
    const list = await app
      .http()
      .get('/api/conversations')
      .set('Authorization', reader.auth)
      .expect(200);
    expect(list.body.data[0]).toMatchObject({
      id: group.conversationID,
      type: 'group',
      group: { id: group.id },
      unreadCount: 4,
      lastMessage: { content: 'g3', seq: 4 },
    });
  });
});
