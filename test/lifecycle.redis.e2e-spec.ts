import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type {
  ConversationChanges,
  Message,
  MessageDeletedEvent,
  MessageUpdatedEvent,
} from '../libs/contracts/src';
import { registerUser, type RegisteredUser } from './utils/factories';
import { deleteRedisKeys, type Instance, startInstance, stopInstance } from './utils/instances';
import { createTestDatabase } from './utils/test-app';
import { emitWithAck, OpenSockets, waitForEvent } from './utils/ws-client';

/**
 * The message lifecycle across two app processes sharing one PostgreSQL and one Redis: changes made
 * on one instance reach participants on the other, concurrent changes from both instances lose
 * nothing and keep versions gap-free, and a client that was away converges through `sync`.
 */
const REDIS_URL = process.env.REDIS_URL ?? '';
const PREFIX = `lc-${randomBytes(4).toString('hex')}:`;

describe('Message lifecycle across two instances (PostgreSQL + Redis)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let a: Instance;
  let b: Instance;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let group: { id: string; conversationID: string };
  const sockets = new OpenSockets();
  const connect = (instance: Instance, user: RegisteredUser) =>
    sockets.connect(instance.baseUrl, user.accessToken);
  const send = async (instance: Instance, user: RegisteredUser, content: string) => {
    const response = await instance.app
      .http()
      .post('/api/messages/send')
      .set('Authorization', user.auth)
      .send({ groupID: group.id, content });
    expect(response.status).toBe(201);
    return response.body.data as Message;
  };

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'lifecycle-'));
    const options = { databaseUrl: database.url, dataDir, redisUrl: REDIS_URL, keyPrefix: PREFIX };
    a = await startInstance('A', options);
    b = await startInstance('B', options);
    [alice, bob, carol] = await Promise.all([
      registerUser(a.app, 'alice'),
      registerUser(b.app, 'bob'),
      registerUser(a.app, 'carol'),
    ]);
    const created = await a.app
      .http()
      .post('/api/groups')
      .set('Authorization', alice.auth)
      .send({ name: 'lifecycle' });
    group = created.body.data as { id: string; conversationID: string };
    for (const user of [bob, carol]) {
      const joined = await b.app
        .http()
        .post(`/api/groups/${group.id}/join`)
        .set('Authorization', user.auth);
      expect(joined.status).toBe(200);
    }
  });

  after(async () => {
    sockets.closeAll();
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await database?.drop();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
    await deleteRedisKeys(REDIS_URL, PREFIX);
  });

  it('should push edits, reactions and deletions made on A to participants on B', async () => {
    const aliceOnA = await connect(a, alice);
    const bobOnB = await connect(b, bob);
    const message = await send(a, alice, 'across');
    const updated = waitForEvent<MessageUpdatedEvent>(
      bobOnB,
      'message_updated',
      (e) => e.message.id === message.id && e.message.content === 'across, edited',
    );
    await emitWithAck(aliceOnA, 'edit_message', {
      messageID: message.id,
      content: 'across, edited',
    });
    expect((await updated).message.version).toBe(message.version + 1);
    const deleted = waitForEvent<MessageDeletedEvent>(bobOnB, 'message_deleted');
    const ack = await emitWithAck(aliceOnA, 'delete_message', { messageID: message.id });
    expect(ack.success).toBe(true);
    expect(await deleted).toMatchObject({ id: message.id, version: message.version + 2 });
  });

  it('should lose no concurrent reaction or edit made on both instances, versions gap-free', async () => {
    const message = await send(a, alice, 'contested');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i += 1) {
      for (const [instance, user] of [
        [a, alice],
        [b, bob],
        [a, carol],
      ] as const) {
        work.push(
          instance.app
            .http()
            .put(`/api/messages/${message.id}/reactions/:r${i}:`)
            .set('Authorization', user.auth)
            .expect(200),
        );
      }
      work.push(
        (i % 2 ? b : a).app
          .http()
          .patch(`/api/messages/${message.id}`)
          .set('Authorization', alice.auth)
          .send({ content: `contested ${i}` })
          .expect(200),
      );
    }
    await Promise.all(work);
    const feed = await b.app
      .http()
      .get(`/api/conversations/${group.id}/changes?sinceVersion=${message.version - 1}`)
      .set('Authorization', bob.auth)
      .expect(200);
    const changes = feed.body.data as ConversationChanges;
    expect(changes.messages).toHaveLength(1);
    const [final] = changes.messages;
    expect(final.version).toBe(message.version + 24);
    expect(changes.version).toBe(final.version);
    expect(final.reactions.every((r) => r.count === 3)).toBe(true);
    expect(final.reactions).toHaveLength(6);
  });

  it('should bring a client that was away back to the server state on the other instance', async () => {
    const listed = await a.app.http().get('/api/conversations').set('Authorization', carol.auth);
    const since = (listed.body.data as { id: string; version: number }[])[0].version;
    const fresh = await send(a, alice, 'while carol was away');
    await a.app
      .http()
      .put(`/api/messages/${fresh.id}/reactions/${encodeURIComponent('🔥')}`)
      .set('Authorization', bob.auth)
      .expect(200);
    await a.app
      .http()
      .patch(`/api/messages/${fresh.id}`)
      .set('Authorization', alice.auth)
      .send({ content: 'edited while away' })
      .expect(200);
    const carolOnB = await connect(b, carol);
    const ack = await emitWithAck<ConversationChanges>(carolOnB, 'sync', {
      conversationID: group.conversationID,
      sinceVersion: since,
    });
    expect(ack.success).toBe(true);
    const [changed] = ack.data?.messages ?? [];
    expect(changed).toMatchObject({
      id: fresh.id,
      content: 'edited while away',
      reactions: [{ emoji: '🔥', count: 1, userIDs: [bob.id] }],
      version: fresh.version + 2,
    });
    expect(ack.data?.version).toBe(fresh.version + 2);
  });
});
