import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { registerUser, type RegisteredUser } from './utils/factories';
import {
  deleteRedisKeys,
  type Instance,
  startInstance,
  stopInstance,
  until,
} from './utils/instances';
import { createTestDatabase } from './utils/test-app';
import { emitWithAck, OpenSockets, type TestSocket, waitForEvent } from './utils/ws-client';

/**
 * Two real app processes (the compiled main.js) on random ports, one fresh database, one Redis under
 * a key prefix of their own: clients on different instances talk as if there were one server; then
 * one instance is SIGKILLed while messages flow.
 */
const REDIS_URL = process.env.REDIS_URL ?? '';
const PREFIX = `mi-${randomBytes(4).toString('hex')}:`;

async function send(
  instance: Instance,
  from: RegisteredUser,
  body: Record<string, unknown>,
): Promise<Message> {
  const response = await instance.app
    .http()
    .post('/api/messages/send')
    .set('Authorization', from.auth)
    .send(body);
  if (response.status !== 201) {
    throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return (response.body as { data: Message }).data;
}

async function status(instance: Instance, viewer: RegisteredUser, userId: string): Promise<string> {
  const response = await instance.app
    .http()
    .get(`/api/users/${userId}/status`)
    .set('Authorization', viewer.auth);
  return (response.body as { data: { status: string } }).data.status;
}

/** Every message of a conversation as `reader` sees it, oldest first. */
async function history(
  instance: Instance,
  reader: RegisteredUser,
  conversationId: string,
): Promise<Message[]> {
  const all: Message[] = [];
  let after = 0;
  for (;;) {
    const response = await instance.app
      .http()
      .get(`/api/messages/history/${conversationId}?after=${after}&limit=100`)
      .set('Authorization', reader.auth);
    expect(response.status).toBe(200);
    const page = (response.body as { data: Message[] }).data;
    all.push(...page);
    if (page.length < 100) {
      return all;
    }
    after = page[page.length - 1].seq;
  }
}

describe('Multi-instance (two processes, one PostgreSQL, one Redis)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let a: Instance;
  let b: Instance | undefined;
  const sockets = new OpenSockets();
  const connect = (
    instance: Instance,
    user: RegisteredUser,
    setup?: (socket: TestSocket) => void,
  ) => sockets.connect(instance.baseUrl, user.accessToken, { setup });

  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let aliceOnA: TestSocket;
  let bobOnB: TestSocket;
  let carolOnA: TestSocket;
  let carolOnB: TestSocket;
  let group: { id: string; conversationID: string };

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'multi-instance-'));
    // One after the other: the first runs the migrations on the fresh database.
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
      .send({ name: 'across' });
    group = created.body.data as { id: string; conversationID: string };
    for (const [instance, user] of [
      [b, bob],
      [a, carol],
    ] as const) {
      const joined = await instance.app
        .http()
        .post(`/api/groups/${group.id}/join`)
        .set('Authorization', user.auth);
      expect(joined.status).toBe(200);
    }
    aliceOnA = await connect(a, alice);
    bobOnB = await connect(b, bob);
    carolOnA = await connect(a, carol);
    carolOnB = await connect(b, carol);
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

  it('should deliver a direct message sent on A to the recipient on B', async () => {
    const received = waitForEvent<Message>(bobOnB, 'message', (m) => m.content === 'hello B');
    const ack = await emitWithAck<Message>(aliceOnA, 'send_message', {
      recipientID: bob.id,
      content: 'hello B',
    });
    expect(ack.success).toBe(true);
    expect((await received).id).toBe(ack.data?.id);
  });

  it('should fan a group message out to members on both instances, every device', async () => {
    const content = `group ${randomBytes(3).toString('hex')}`;
    const arrivals = [aliceOnA, carolOnA, carolOnB].map((socket) =>
      waitForEvent<Message>(socket, 'message', (m) => m.content === content),
    );
    const sent = await send(b!, bob, { groupID: group.id, content });
    for (const message of await Promise.all(arrivals)) {
      expect(message.id).toBe(sent.id);
    }
  });

  it('should carry delivery and read receipts across instances', async () => {
    const message = await send(a, alice, { recipientID: bob.id, content: 'receipt me' });
    const delivered = waitForEvent<{ seq: number; userID: string }>(
      aliceOnA,
      'message_delivered',
      (e) => e.seq === message.seq,
    );
    const read = waitForEvent<{ seq: number; userID: string }>(
      aliceOnA,
      'message_read',
      (e) => e.seq === message.seq,
    );
    const body = { conversationID: message.conversationID, seq: message.seq };
    expect((await emitWithAck(bobOnB, 'message_delivered', body)).success).toBe(true);
    expect((await emitWithAck(bobOnB, 'mark_read', body)).success).toBe(true);
    expect((await delivered).userID).toBe(bob.id);
    expect((await read).userID).toBe(bob.id);
  });

  it('should forward typing from B to A', async () => {
    const typing = waitForEvent<{ userID: string; isTyping: boolean }>(
      aliceOnA,
      'typing',
      (e) => e.userID === bob.id,
    );
    const ack = await emitWithAck(bobOnB, 'typing', { conversationID: alice.id, isTyping: true });
    expect(ack.success).toBe(true);
    expect((await typing).isTyping).toBe(true);
  });

  it('should show the same presence from both instances and push changes across', async () => {
    const dave = await registerUser(b!.app, 'dave');
    await send(b!, dave, { recipientID: alice.id, content: 'hi, coming online' });
    const online = waitForEvent<{ userID: string; status: string }>(
      aliceOnA,
      'presence',
      (e) => e.userID === dave.id && e.status === 'online',
    );
    const daveOnB = await connect(b!, dave);
    await online;
    expect(await status(a, alice, dave.id)).toBe('online');
    expect(await status(b!, alice, dave.id)).toBe('online');

    const away = waitForEvent(aliceOnA, 'presence', (e: { userID: string; status: string }) => {
      return e.userID === dave.id && e.status === 'away';
    });
    expect((await emitWithAck(daveOnB, 'set_status', { status: 'away' })).success).toBe(true);
    await away;
    expect(await status(a, alice, dave.id)).toBe('away');

    // A second device on A, then the B one closes: still connected somewhere, so not offline.
    const daveOnA = await connect(a, dave);
    daveOnB.close();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await status(a, alice, dave.id)).not.toBe('offline');
    expect(await status(b!, alice, dave.id)).not.toBe('offline');

    const offline = waitForEvent(
      aliceOnA,
      'presence',
      (e: { userID: string; status: string }) => {
        return e.userID === dave.id && e.status === 'offline';
      },
      10_000,
    );
    daveOnA.close();
    await offline;
    expect(await status(b!, alice, dave.id)).toBe('offline');
  });

  it('should disconnect a session on B when it logs out on A', async () => {
    const frank = await registerUser(a.app, 'frank');
    const frankOnB = await connect(b!, frank);
    const gone = waitForEvent<string>(frankOnB, 'disconnect');
    const logout = await a.app.http().post('/api/auth/logout').set('Authorization', frank.auth);
    expect(logout.status).toBe(204);
    expect(await gone).toBe('io server disconnect');
  });

  it('should share the login-failure limit between instances', async () => {
    const grace = await registerUser(a.app, 'grace');
    const attempt = (instance: Instance) =>
      instance.app
        .http()
        .post('/api/users/login')
        .send({ username: grace.username, password: 'wrong-password' });
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(b!)).status).toBe(401);
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(b!)).status).toBe(429);
    expect((await attempt(a)).status).toBe(429);
  });

  it('should lose no acknowledged message when B is SIGKILLed mid-flow, and converge presence', async () => {
    const [sender, receiver, member, victim] = await Promise.all([
      registerUser(a.app, 'sender'),
      registerUser(a.app, 'receiver'),
      registerUser(a.app, 'member'),
      registerUser(a.app, 'victim'),
    ]);
    const flowGroup = (
      await a.app
        .http()
        .post('/api/groups')
        .set('Authorization', sender.auth)
        .send({ name: 'flow' })
    ).body.data as { id: string; conversationID: string };
    for (const user of [receiver, member, victim]) {
      await a.app.http().post(`/api/groups/${flowGroup.id}/join`).set('Authorization', user.auth);
    }

    // Receivers on B (the one that dies); the sender has a socket on each instance.
    const seen = new Map<string, Map<string, Message>>([
      [receiver.id, new Map()],
      [member.id, new Map()],
    ]);
    const record = (userId: string, socket: TestSocket) => {
      const store = (message: Message) => seen.get(userId)!.set(message.id, message);
      socket.on('message', store);
      // Catch-up past a page: page the rest with sync, as clients do.
      socket.on('sync_required', (range: { conversationID: string; after: number }) => {
        void (async () => {
          let after = range.after;
          for (;;) {
            const ack = await emitWithAck<{ messages: Message[]; hasMore: boolean }>(
              socket,
              'sync',
              { conversationID: range.conversationID, after, limit: 100 },
            );
            const messages = ack.data?.messages ?? [];
            messages.forEach(store);
            if (!ack.data?.hasMore || !messages.length) {
              return;
            }
            after = messages[messages.length - 1].seq;
          }
        })();
      });
    };
    await connect(b!, receiver, (socket) => record(receiver.id, socket));
    await connect(b!, member, (socket) => record(member.id, socket));
    const victimOnB = await connect(b!, victim);
    const senderOnA = await connect(a, sender);
    const senderOnB = await connect(b!, sender);
    const victimOnline = await until(
      'the victim online on A',
      async () => ((await status(a, sender, victim.id)) === 'online' ? true : undefined),
      5_000,
    );
    expect(victimOnline).toBe(true);

    // Messages flow from both instances; every ack is recorded; a send that got no ack (its
    // instance died) is resent on A with the same clientMessageID, as clients do.
    const acked = new Map<string, Message>();
    let stop = false;
    const flow = async (socket: () => TestSocket, tag: string) => {
      for (let i = 0; !stop; i++) {
        const body = {
          ...(i % 2 ? { groupID: flowGroup.id } : { recipientID: receiver.id }),
          content: `${tag} ${i}`,
          clientMessageID: `${tag}-${i}`,
        };
        for (let attempt = 0; ; attempt++) {
          try {
            const ack = await emitWithAck<Message>(socket(), 'send_message', body, 2_000);
            if (ack.success && ack.data) {
              acked.set(ack.data.id, ack.data);
              break;
            }
          } catch {
            // no ack: resend
          }
          if (attempt > 20) {
            throw new Error(`could not send ${body.clientMessageID}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    let onB: TestSocket = senderOnB;
    const flows = [flow(() => senderOnA, 'fromA'), flow(() => onB, 'fromB')];
    await until('some traffic', () => (acked.size >= 20 ? true : undefined), 10_000);

    const offline = waitForEvent(
      senderOnA,
      'presence',
      (e: { userID: string; status: string }) => e.userID === victim.id && e.status === 'offline',
      30_000,
    );
    const killedAt = Date.now();
    b!.child.kill('SIGKILL');
    await b!.exited;
    // The B sender and the receivers come back on A (catch-up delivers what they missed).
    onB = senderOnA;
    await connect(a, receiver, (socket) => record(receiver.id, socket));
    await connect(a, member, (socket) => record(member.id, socket));
    await until(
      'more traffic after the kill',
      () => {
        const after = [...acked.values()].filter((m) => Date.parse(m.timestamp) > killedAt);
        return after.length >= 20 ? true : undefined;
      },
      15_000,
    );
    stop = true;
    await Promise.all(flows);

    // Presence converged: the victim (only on B) went offline within 30 s; the receiver stays online.
    await offline;
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(await status(a, sender, victim.id)).toBe('offline');
    expect(await status(a, sender, receiver.id)).toBe('online');

    // Every acknowledged message is in history exactly once, in seq order without gaps, and
    // reached its recipients (live or by catch-up).
    const direct = [...acked.values()].find((m) => m.recipientID === receiver.id)!;
    for (const conversationId of [direct.conversationID, flowGroup.conversationID]) {
      const stored = await history(a, receiver, conversationId);
      const ids = stored.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, index) => index + 1));
      const expected = [...acked.values()].filter((m) => m.conversationID === conversationId);
      expect(ids).toEqual(expect.arrayContaining(expected.map((m) => m.id)));
    }
    await until(
      'every acknowledged message at its recipients',
      () => {
        const missing = [...acked.values()].filter((m) => {
          const recipients = m.groupID ? [receiver.id, member.id] : [receiver.id];
          return recipients.some((id) => !seen.get(id)!.has(m.id));
        });
        return missing.length === 0 ? true : undefined;
      },
      10_000,
    );
    victimOnB.close();
  });
});
