import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { MessagingClient, type MessageChange, type RealtimeSession } from '../libs/sdk/src';
import { signedIn, until } from './utils/sdk-fixtures';
import { createTestApp, type TestApp } from './utils/test-app';

/** Receipts (`delivered`, `read` and their counts) change without a version; everything else is compared. */
function versioned(message: Message): Partial<Message> {
  const { delivered, read, deliveredCount, readCount, ...rest } = message;
  void delivered;
  void read;
  void deliveredCount;
  void readCount;
  return rest;
}

/** The server's state of every message of the conversation, oldest first, and its version. */
async function serverState(client: MessagingClient, conversationId: string) {
  const page = await client.history(conversationId, { after: 0, limit: 100 });
  const versions = await client.conversationVersions();
  return { messages: page.items.map(versioned), version: versions[conversationId] };
}

describe('client SDK message lifecycle (libs/sdk)', () => {
  let app: TestApp;
  const sessions: RealtimeSession[] = [];

  before(async () => {
    app = await createTestApp();
  });

  after(async () => {
    sessions.forEach((session) => session.close());
    await app.close();
  });

  it('should expose edit, delete, reactions, replies and changes over HTTP', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const root = await alice.client.sendMessage({ recipientID: bob.user.id, content: 'root' });
    const reply = await bob.client.sendMessage({
      recipientID: alice.user.id,
      content: 'reply',
      replyToID: root.id,
    });
    await expect(alice.client.editMessage(root.id, { content: 'root!' })).resolves.toMatchObject({
      content: 'root!',
    });
    const reacted = await bob.client.addReaction(root.id, '👍🏽');
    expect(reacted.reactions).toEqual([{ emoji: '👍🏽', count: 1, userIDs: [bob.user.id] }]);
    await expect(bob.client.addReaction(root.id, ':tada:')).resolves.toMatchObject({
      reactions: [{ emoji: '👍🏽' }, { emoji: ':tada:' }],
    });
    await expect(bob.client.removeReaction(root.id, '👍🏽')).resolves.toMatchObject({
      reactions: [{ emoji: ':tada:', count: 1 }],
    });
    const replies = await alice.client.replies(root.id, { limit: 10, after: 0 });
    expect(replies.items.map((m) => m.id)).toEqual([reply.id]);
    await expect(bob.client.deleteMessage(reply.id)).resolves.toBeUndefined();
    const changes = await alice.client.changes(root.conversationID, {
      sinceVersion: root.version,
      limit: 1,
    });
    expect(changes.hasMore).toBe(true);
    const rest = await alice.client.changes(root.conversationID, {
      sinceVersion: changes.version,
    });
    expect(rest.hasMore).toBe(false);
    const all = [...changes.messages, ...rest.messages];
    expect(all.find((m) => m.id === reply.id)).toMatchObject({ deleted: true, content: '' });
    expect(all.find((m) => m.id === root.id)).toMatchObject({ content: 'root!', replyCount: 1 });
  });

  it('should edit, react and delete over the socket, and report each change once to the peer session', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const aliceLive = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
    const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(aliceLive, bobLive);
    await Promise.all([aliceLive.ready(), bobLive.ready()]);
    const changes: MessageChange[] = [];
    bobLive.onChange((change) => changes.push(change));

    const sent = await aliceLive.send({ recipientID: bob.user.id, content: 'hello' });
    await until(() => bobLive.version(sent.conversationID) === sent.version);
    await expect(aliceLive.editMessage(sent.id, 'hello!')).resolves.toMatchObject({
      content: 'hello!',
    });
    await expect(bobLive.addReaction(sent.id, '🎉')).resolves.toMatchObject({
      reactions: [{ emoji: '🎉', count: 1 }],
    });
    await bobLive.removeReaction(sent.id, '🎉');
    await aliceLive.deleteMessage(sent.id);
    const final = await bobLive.changes(sent.conversationID, 0);
    await until(() => bobLive.version(sent.conversationID) === final.version);
    expect(changes.map((c) => c.kind)).toEqual(['updated', 'updated', 'updated', 'deleted']);
    expect(bobLive.message(sent.conversationID, sent.id)).toMatchObject({
      deleted: true,
      content: '',
      reactions: [],
      version: final.version,
    });
  });

  it('should leave an offline client with exactly the server state once it reconnects', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const live = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(live);
    await live.ready();
    const changes: MessageChange[] = [];
    live.onChange((change) => changes.push(change));

    const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(bobLive);
    await bobLive.ready();
    const confirmed = new Promise<void>((resolve) => {
      bobLive.on('message_delivered', ({ seq }) => {
        if (seq === 2) {
          resolve();
        }
      });
    });
    const one = await bob.client.sendMessage({ recipientID: alice.user.id, content: 'one' });
    const two = await bob.client.sendMessage({ recipientID: alice.user.id, content: 'two' });
    const conversationId = one.conversationID;
    await until(() => live.version(conversationId) === two.version);
    // Alice's SDK confirmed delivery: the reconnect will not redeliver these two.
    await confirmed;

    // Away 1: only edits, reactions and a deletion (no new message whose version would show a gap):
    // the reconnect pulls them because the listed version moved.
    live.socket.disconnect();
    await bob.client.editMessage(one.id, { content: 'one, edited' });
    await bob.client.addReaction(one.id, '👍');
    await bob.client.deleteMessage(two.id);
    let server = await serverState(bob.client, conversationId);
    live.socket.connect();
    await until(() => live.version(conversationId) === server.version);
    expect(live.messages(conversationId).map(versioned)).toEqual(server.messages);
    expect(changes.map((c) => [c.kind, c.message.id])).toEqual([
      ['updated', one.id],
      ['deleted', two.id],
    ]);

    // Away 2: new messages, a reply, edits, reactions and deletions mixed.
    live.socket.disconnect();
    const three = await bob.client.sendMessage({ recipientID: alice.user.id, content: 'three' });
    await bob.client.editMessage(three.id, { content: 'three, edited' });
    const reply = await bob.client.sendMessage({
      recipientID: alice.user.id,
      content: 'a reply',
      replyToID: one.id,
    });
    await bob.client.addReaction(three.id, ':tada:');
    await bob.client.removeReaction(one.id, '👍');
    await bob.client.deleteMessage(reply.id);
    await bob.client.sendMessage({ recipientID: alice.user.id, content: 'four' });
    server = await serverState(bob.client, conversationId);
    live.socket.connect();
    await until(() => live.version(conversationId) === server.version);
    await until(() => live.messages(conversationId).length === server.messages.length);
    expect(live.messages(conversationId).map(versioned)).toEqual(server.messages);
    expect(live.lastSeq(conversationId)).toBe(5);

    // Live again: a change while connected arrives as message_updated and is applied once.
    await bob.client.editMessage(three.id, { content: 'three, edited twice' });
    server = await serverState(bob.client, conversationId);
    await until(() => live.version(conversationId) === server.version);
    expect(live.messages(conversationId).map(versioned)).toEqual(server.messages);
    expect(changes.at(-1)?.message).toMatchObject({ id: three.id, content: 'three, edited twice' });
  });
});
