import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message, PresenceEvent, TypingEvent } from '../libs/contracts/src';
import { sendHttp } from './utils/api';
import { registerUser, type RegisteredUser } from './utils/factories';
import { deleteRedisKeys, type Instance, startInstance, stopInstance } from './utils/instances';
import { PlainWsClient } from './utils/plain-ws-client';
import { createTestDatabase } from './utils/test-app';
import { collectEvents, connectSocket, emitWithAck, type TestSocket } from './utils/ws-client';

/**
 * Plain WebSocket across two real app processes on one PostgreSQL and one Redis: what is sent on
 * one instance reaches plain connections on the other (they ride the Socket.IO Redis adapter).
 */
const REDIS_URL = process.env.REDIS_URL ?? '';
const PREFIX = `pws-${randomBytes(4).toString('hex')}:`;

describe('plain WebSocket across instances (PostgreSQL + Redis)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let a: Instance;
  let b: Instance;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let conversationID: string;
  const plains: PlainWsClient[] = [];
  const sockets: TestSocket[] = [];
  const plain = async (instance: Instance, user: RegisteredUser): Promise<PlainWsClient> => {
    const client = await PlainWsClient.connect(instance.baseUrl, user.accessToken);
    plains.push(client);
    await client.event('caught_up');
    return client;
  };

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'plain-ws-redis-'));
    const options = { databaseUrl: database.url, dataDir, redisUrl: REDIS_URL, keyPrefix: PREFIX };
    a = await startInstance('A', options);
    b = await startInstance('B', options);
    [alice, bob] = await Promise.all([registerUser(a.app, 'alice'), registerUser(b.app, 'bob')]);
    conversationID = (await sendHttp(b.app, bob, { recipientID: alice.id, content: 'hi' }))
      .conversationID;
  });

  after(async () => {
    plains.forEach((client) => client.close());
    sockets.forEach((socket) => socket.close());
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await database?.drop();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
    await deleteRedisKeys(REDIS_URL, PREFIX);
  });

  it('should deliver to a plain connection on A a message sent over HTTP through B', async () => {
    const aliceOnA = await plain(a, alice);
    const sent = await sendHttp(b.app, bob, { recipientID: alice.id, content: 'from B' });
    const frame = await aliceOnA.event('message', (m) => (m as Message).id === sent.id);
    expect(frame.data).toEqual(sent);
  });

  it('should deliver an acked plain send on B to every device of the recipient, on both instances', async () => {
    const aliceOnA = await plain(a, alice);
    const aliceIoOnB = await connectSocket(b.baseUrl, alice.accessToken);
    sockets.push(aliceIoOnB);
    const onIo = collectEvents<Message>(aliceIoOnB, 'message');
    const bobOnB = await plain(b, bob);
    const bobOnA = await plain(a, bob);
    const ack = await bobOnB.request('send_message', { recipientID: alice.id, content: 'acked' });
    expect(ack).toMatchObject({ success: true, data: { content: 'acked' } });
    const id = (ack.data as Message).id;
    await aliceOnA.event('message', (m) => (m as Message).id === id);
    await bobOnA.event('message', (m) => (m as Message).id === id);
    await emitWithAck(aliceIoOnB, 'ping');
    expect(onIo.map((m) => m.id)).toContain(id);
    // The sending connection gets the ack, not an echo (except works across instances too).
    await bobOnB.flush();
    expect(bobOnB.all('message').some((f) => (f.data as Message).id === id)).toBe(false);
  });

  it('should carry typing and presence from B to a plain connection on A', async () => {
    const aliceOnA = await plain(a, alice);
    const bobIoOnB = await connectSocket(b.baseUrl, bob.accessToken);
    sockets.push(bobIoOnB);
    expect(
      (await emitWithAck(bobIoOnB, 'typing', { conversationID, isTyping: true })).success,
    ).toBe(true);
    const typing = await aliceOnA.event('typing', (t) => (t as TypingEvent).userID === bob.id);
    expect(typing.data).toEqual({ conversationID, userID: bob.id, isTyping: true });

    const carol = await registerUser(b.app, 'carol');
    await sendHttp(b.app, carol, { recipientID: alice.id, content: 'hello alice' });
    const online = aliceOnA.event('presence', (p) => {
      const event = p as PresenceEvent;
      return event.userID === carol.id && event.status === 'online';
    });
    await plain(b, carol);
    await online;
  });

  it('should close a plain connection on A when its session logs out through B', async () => {
    const dave = await registerUser(a.app, 'dave');
    const daveOnA = await plain(a, dave);
    await b.app.http().post('/api/auth/logout').set('Authorization', dave.auth).expect(204);
    expect((await daveOnA.event('error')).data).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await daveOnA.closedWithin()).code).toBe(1008);
  });
});
