import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { createGroup, joinGroup, postMessage, sendHttp } from './utils/api';
import { closeAll, flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents, connectSocket, emitWithAck, waitForEvent } from './utils/ws-client';

describe('blocking', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  const block = (from: RegisteredUser, target: string) =>
    app.http().put(`/api/users/${target}/block`).set('Authorization', from.auth);
  const unblock = (from: RegisteredUser, target: string) =>
    app.http().delete(`/api/users/${target}/block`).set('Authorization', from.auth);
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

  it('should block and unblock idempotently and list the blocked profiles', async () => {
    await block(alice, bob.id).expect(204);
    await block(alice, bob.id).expect(204);
    const listed = await app
      .http()
      .get('/api/users/blocked')
      .set('Authorization', alice.auth)
      .expect(200);
    expect(listed.body.data).toEqual([
      { id: bob.id, username: bob.username, status: 'offline', lastSeen: null },
    ]);
    await unblock(alice, bob.id).expect(204);
    await unblock(alice, bob.id).expect(204);
    const empty = await app
      .http()
      .get('/api/users/blocked')
      .set('Authorization', alice.auth)
      .expect(200);
    expect(empty.body.data).toEqual([]);
  });

  it('should refuse blocking yourself, unknown users and non-ids', async () => {
    expect((await block(alice, alice.id).expect(400)).body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await block(alice, '7c9e6679-7425-40de-944b-e07fc1f90ae7').expect(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    await unblock(alice, '7c9e6679-7425-40de-944b-e07fc1f90ae7').expect(404);
    await block(alice, 'not-a-uuid').expect(400);
    await app.http().put(`/api/users/${bob.id}/block`).expect(401);
  });

  it('should refuse direct messages both ways over HTTP while a block exists', async () => {
    await postMessage(app, alice, { recipientID: bob.id, content: 'before' }).expect(201);
    await block(alice, bob.id).expect(204);
    const fromBlocked = await postMessage(app, bob, {
      recipientID: alice.id,
      content: 'hi?',
    }).expect(403);
    expect(fromBlocked.body.error.code).toBe('FORBIDDEN');
    const fromBlocker = await postMessage(app, alice, {
      recipientID: bob.id,
      content: 'hi',
    }).expect(403);
    expect(fromBlocker.body.error.code).toBe('FORBIDDEN');
    await unblock(alice, bob.id).expect(204);
    await postMessage(app, bob, { recipientID: alice.id, content: 'after' }).expect(201);
    await postMessage(app, alice, { recipientID: bob.id, content: 'after' }).expect(201);
  });

  it('should refuse direct messages both ways over the socket while a block exists', async () => {
    const a = await connectSocket(app.baseUrl, alice.accessToken);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    try {
      await block(bob, alice.id).expect(204);
      const fromBlocker = await emitWithAck(b, 'send_message', {
        recipientID: alice.id,
        content: 'no',
      });
      expect(fromBlocker.error?.code).toBe('FORBIDDEN');
      const fromBlocked = await emitWithAck(a, 'send_message', {
        recipientID: bob.id,
        content: 'no',
      });
      expect(fromBlocked.error?.code).toBe('FORBIDDEN');
      await unblock(bob, alice.id).expect(204);
      const allowed = await emitWithAck(a, 'send_message', { recipientID: bob.id, content: 'ok' });
      expect(allowed.success).toBe(true);
    } finally {
      closeAll(a, b);
    }
  });

  it('should keep group messages flowing both ways without seq gaps', async () => {
    const group = await createGroup(app, alice, 'still-friends');
    await joinGroup(app, bob, group.id);
    await block(alice, bob.id).expect(204);
    try {
      const first = await sendHttp(app, alice, { groupID: group.id, content: 'one' });
      const second = await sendHttp(app, bob, { groupID: group.id, content: 'two' });
      expect(second.seq).toBe(first.seq + 1);
      const history = await app
        .http()
        .get(`/api/messages/history/${group.id}`)
        .set('Authorization', alice.auth)
        .expect(200);
      expect((history.body.data as Message[]).map((m) => m.content)).toEqual(['two', 'one']);
    } finally {
      await unblock(alice, bob.id).expect(204);
    }
  });

  it("should leave the blocked user's mentions out of the blocker's mention counts only", async () => {
    const [erin, fay, gil, hal] = await Promise.all([
      signedInUser(app.app, 'erin'),
      signedInUser(app.app, 'fay'),
      signedInUser(app.app, 'gil'),
      signedInUser(app.app, 'hal'),
    ]);
    const group = await createGroup(app, erin, 'mentions');
    for (const member of [fay, gil, hal]) {
      await joinGroup(app, member, group.id);
    }
    await block(erin, fay.id).expect(204);
    await sendHttp(app, fay, {
      groupID: group.id,
      content: '@erin @hal',
      mentions: [erin.id, hal.id],
    });
    await sendHttp(app, gil, { groupID: group.id, content: '@erin', mentions: [erin.id] });
    const unread = async (user: RegisteredUser) =>
      (await app.http().get('/api/messages/unread').set('Authorization', user.auth).expect(200))
        .body.data as {
        mentions: number;
        conversations: { conversationID: string; unreadCount: number; mentionCount: number }[];
      };
    const forErin = await unread(erin);
    const erinGroup = forErin.conversations.find((c) => c.conversationID === group.conversationID);
    // Both messages stay unread for erin (no seq gap), only gil's mention counts.
    expect(erinGroup).toMatchObject({ unreadCount: 2, mentionCount: 1 });
    // hal blocks nobody: fay's mention counts for him.
    const forHal = await unread(hal);
    expect(
      forHal.conversations.find((c) => c.conversationID === group.conversationID),
    ).toMatchObject({ mentionCount: 1 });
  });

  it("should hide the blocker's presence and typing from the blocked user only", async () => {
    // A blocker who has not been online yet: a quick reconnect would not change presence at all.
    const dana = await signedInUser(app.app, 'dana');
    const group = await createGroup(app, dana, 'presence');
    await joinGroup(app, bob, group.id);
    await joinGroup(app, carol, group.id);
    await block(dana, bob.id).expect(204);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    const c = await connectSocket(app.baseUrl, carol.accessToken);
    let a: Awaited<ReturnType<typeof connectSocket>> | undefined;
    try {
      const presenceAtBob = collectEvents<{ userID: string }>(b, 'presence');
      const typingAtBob = collectEvents<{ userID: string }>(b, 'typing');
      const carolSeesPresence = waitForEvent<{ userID: string }>(
        c,
        'presence',
        (event) => event.userID === dana.id,
      );
      a = await connectSocket(app.baseUrl, dana.accessToken);
      await carolSeesPresence;
      const carolSeesTyping = waitForEvent<{ userID: string }>(c, 'typing');
      const ack = await emitWithAck(a, 'typing', {
        conversationID: group.conversationID,
        isTyping: true,
      });
      expect(ack.success).toBe(true);
      expect((await carolSeesTyping).userID).toBe(dana.id);
      await flush(b);
      expect(presenceAtBob.filter((event) => event.userID === dana.id)).toEqual([]);
      expect(typingAtBob).toEqual([]);

      // Bob's typing still reaches Dana: only the blocker is hidden.
      const danaSeesTyping = waitForEvent<{ userID: string }>(a, 'typing');
      await emitWithAck(b, 'typing', { conversationID: group.conversationID, isTyping: true });
      expect((await danaSeesTyping).userID).toBe(bob.id);
    } finally {
      closeAll(a, b, c);
    }
  });
});
