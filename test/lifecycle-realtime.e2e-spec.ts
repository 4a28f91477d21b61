import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type {
  ConversationChanges,
  Message,
  MessageDeletedEvent,
  MessageUpdatedEvent,
} from '../libs/contracts/src';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import { caughtUp, connectRecording, flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents, emitWithAck, OpenSockets, waitForEvent } from './utils/ws-client';

/** What an offline-capable client keeps per message: applies a change only when its version is newer. */
function apply(local: Map<string, Message>, messages: Message[]): void {
  for (const message of messages) {
    const held = local.get(message.id);
    if (!held || held.version < message.version) {
      local.set(message.id, message);
    }
  }
}

/** The parts of a message that edits, deletions and reactions change. */
const shape = (m: Message) => ({
  id: m.id,
  seq: m.seq,
  version: m.version,
  content: m.content,
  deleted: m.deleted,
  editedAt: m.editedAt,
  reactions: m.reactions,
  mentions: m.mentions,
  replyCount: m.replyCount,
});

describe('message lifecycle over Socket.IO', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let group: { id: string; conversationID: string };
  const sockets = new OpenSockets();
  const connect = (user: RegisteredUser) => sockets.connect(app.baseUrl, user.accessToken);

  before(async () => {
    app = await createTestApp();
    [alice, bob, carol] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
    ]);
    group = await createGroup(app, alice, 'live');
    await joinGroup(app, bob, group.id);
    await joinGroup(app, carol, group.id);
  });

  after(async () => {
    sockets.closeAll();
    await app.close();
  });

  it("should push message_updated and message_deleted to every participant's sockets", async () => {
    const aliceSocket = await connect(alice);
    const aliceOther = await connect(alice);
    const bobSocket = await connect(bob);
    const message = await sendHttp(app, alice, { groupID: group.id, content: 'draft' });
    const updates = [bobSocket, aliceOther].map((socket) =>
      waitForEvent<MessageUpdatedEvent>(
        socket,
        'message_updated',
        (e) => e.message.id === message.id,
      ),
    );
    const ack = await emitWithAck<Message>(aliceSocket, 'edit_message', {
      messageID: message.id,
      content: 'final',
    });
    expect(ack).toMatchObject({ success: true, data: { content: 'final', id: message.id } });
    for (const update of await Promise.all(updates)) {
      expect(update.message).toMatchObject({ content: 'final', version: message.version + 1 });
    }

    const reacted = waitForEvent<MessageUpdatedEvent>(bobSocket, 'message_updated');
    const reactionAck = await emitWithAck<Message>(bobSocket, 'add_reaction', {
      messageID: message.id,
      emoji: '🎉',
    });
    expect(reactionAck.data?.reactions).toEqual([{ emoji: '🎉', count: 1, userIDs: [bob.id] }]);
    expect((await reacted).message.reactions).toEqual(reactionAck.data?.reactions);

    const deletions = [bobSocket, aliceOther].map((socket) =>
      waitForEvent<MessageDeletedEvent>(socket, 'message_deleted'),
    );
    const deleteAck = await emitWithAck(aliceSocket, 'delete_message', { messageID: message.id });
    expect(deleteAck).toEqual({ success: true, data: null });
    for (const deleted of await Promise.all(deletions)) {
      expect(deleted).toEqual({
        conversationID: group.conversationID,
        id: message.id,
        seq: message.seq,
        version: message.version + 3,
      });
    }
  });

  it('should push the thread root as message_updated when a reply changes its summary', async () => {
    const bobSocket = await connect(bob);
    const root = await sendHttp(app, alice, { groupID: group.id, content: 'root' });
    const rootUpdate = waitForEvent<MessageUpdatedEvent>(
      bobSocket,
      'message_updated',
      (e) => e.message.id === root.id,
    );
    const reply = await sendHttp(app, carol, {
      groupID: group.id,
      content: 'reply',
      replyToID: root.id,
    });
    const { message } = await rootUpdate;
    expect(message).toMatchObject({ replyCount: 1, version: reply.version + 1 });
    expect(message.lastReplyAt).toBe(reply.timestamp);
  });

  it('should answer bad lifecycle events with an error ack and keep the socket', async () => {
    const bobSocket = await connect(bob);
    const message = await sendHttp(app, alice, { groupID: group.id, content: 'mine' });
    const notSender = await emitWithAck(bobSocket, 'edit_message', {
      messageID: message.id,
      content: 'theirs',
    });
    expect(notSender.error?.code).toBe('FORBIDDEN');
    const badEmoji = await emitWithAck(bobSocket, 'add_reaction', {
      messageID: message.id,
      emoji: 'not one',
    });
    expect(badEmoji.error?.code).toBe('VALIDATION_FAILED');
    const badId = await emitWithAck(bobSocket, 'delete_message', { messageID: 'x' });
    expect(badId.error?.code).toBe('VALIDATION_FAILED');
    const both = await emitWithAck(bobSocket, 'sync', {
      conversationID: group.id,
      after: 0,
      sinceVersion: 0,
    });
    expect(both.error?.code).toBe('VALIDATION_FAILED');
    const neither = await emitWithAck(bobSocket, 'sync', { conversationID: group.id });
    expect(neither.error?.code).toBe('VALIDATION_FAILED');
    await flush(bobSocket);
    expect(bobSocket.connected).toBe(true);
  });

  it('should deliver live changes with gap-free versions in the order they were made', async () => {
    const recording = await connectRecording(app.baseUrl, bob.accessToken);
    sockets.add(recording.socket);
    await caughtUp(recording);
    const bobSocket = recording.socket;
    const versions: number[] = [];
    bobSocket.on('message', (m: Message) => versions.push(m.version));
    bobSocket.on('message_updated', (e: MessageUpdatedEvent) => versions.push(e.message.version));
    bobSocket.on('message_deleted', (e: MessageDeletedEvent) => versions.push(e.version));
    const first = await sendHttp(app, alice, { groupID: group.id, content: 'v1' });
    const aliceSocket = await connect(alice);
    await emitWithAck(aliceSocket, 'edit_message', { messageID: first.id, content: 'v2' });
    await emitWithAck(aliceSocket, 'add_reaction', { messageID: first.id, emoji: ':ok:' });
    await emitWithAck(aliceSocket, 'remove_reaction', { messageID: first.id, emoji: ':ok:' });
    await sendHttp(app, carol, { groupID: group.id, content: 'r', replyToID: first.id });
    const last = await emitWithAck(aliceSocket, 'delete_message', { messageID: first.id });
    expect(last.success).toBe(true);
    await flush(bobSocket);
    expect(versions).toEqual(Array.from({ length: 7 }, (_, i) => first.version + i));
  });

  it('should bring a client that was offline to exactly the server state through sync sinceVersion', async () => {
    const page = await app
      .http()
      .get(`/api/messages/history/${group.id}?limit=100`)
      .set('Authorization', carol.auth)
      .expect(200);
    const local = new Map<string, Message>();
    apply(local, page.body.data as Message[]);
    const listed = await app.http().get('/api/conversations').set('Authorization', carol.auth);
    let held = (listed.body.data as { id: string; version: number }[]).find(
      (c) => c.id === group.conversationID,
    )?.version as number;

    // Carol is away: edits, deletions, reactions, a reply and a new message happen.
    const aliceSocket = await connect(alice);
    const bobSocket = await connect(bob);
    const target = [...local.values()].filter((m) => !m.deleted).slice(0, 3);
    await emitWithAck(aliceSocket, 'edit_message', { messageID: target[0].id, content: 'edited' });
    await emitWithAck(bobSocket, 'add_reaction', { messageID: target[1].id, emoji: '👍' });
    await emitWithAck(aliceSocket, 'add_reaction', { messageID: target[1].id, emoji: '👍' });
    await emitWithAck(bobSocket, 'remove_reaction', { messageID: target[1].id, emoji: '👍' });
    await emitWithAck(aliceSocket, 'delete_message', { messageID: target[2].id });
    await sendHttp(app, bob, { groupID: group.id, content: 'new', replyToID: target[0].id });

    const carolSocket = await connect(carol);
    const after = await app.http().get('/api/conversations').set('Authorization', carol.auth);
    const listedVersion = (after.body.data as { id: string; version: number }[]).find(
      (c) => c.id === group.conversationID,
    )?.version as number;
    expect(listedVersion).toBeGreaterThan(held);
    for (;;) {
      const ack = await emitWithAck<ConversationChanges>(carolSocket, 'sync', {
        conversationID: group.conversationID,
        sinceVersion: held,
        limit: 2,
      });
      expect(ack.success).toBe(true);
      const changes = ack.data as ConversationChanges;
      apply(local, changes.messages);
      held = changes.version;
      if (!changes.hasMore) {
        break;
      }
    }
    expect(held).toBe(listedVersion);
    const server = await app
      .http()
      .get(`/api/messages/history/${group.id}?limit=100`)
      .set('Authorization', carol.auth)
      .expect(200);
    const expected = (server.body.data as Message[]).map(shape).sort((a, b) => a.seq - b.seq);
    const actual = [...local.values()].map(shape).sort((a, b) => a.seq - b.seq);
    expect(actual).toEqual(expected);
    const unchanged = collectEvents(carolSocket, 'message_updated');
    await flush(carolSocket);
    expect(unchanged).toEqual([]);
  });
});
