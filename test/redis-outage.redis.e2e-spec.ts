import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { registerUser, type RegisteredUser } from './utils/factories';
import { freePort, type Instance, startInstance, stopInstance, until } from './utils/instances';
import { createTestDatabase } from './utils/test-app';
import { connectSocket, emitWithAck, type TestSocket, waitForEvent } from './utils/ws-client';

/**
 * Redis goes away under two running instances and comes back empty (a restart without persistence).
 * Uses a redis-server of its own on a free port (the shared one must not be stopped), so it runs
 * where `.ci/run` runs: with REDIS_URL set and redis-server installed.
 */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

interface OwnRedis {
  url: string;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const ping = () => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString();
  return {
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await until('redis-server', () => (ping()?.includes('PONG') ? true : undefined), 10_000);
    },
    stop: async () => {
      const running = child;
      child = null;
      if (running && running.exitCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGKILL');
        await exited;
      }
    },
  };
}

async function health(instance: Instance): Promise<{ status: string; redis: string }> {
  const response = await fetch(`${instance.baseUrl}/health`);
  return (await response.json()) as { status: string; redis: string };
}

describe('Redis outage under two instances', { skip: !hasRedisServer && 'no redis-server' }, () => {
  let redis: OwnRedis;
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let a: Instance;
  let b: Instance;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let aliceOnA: TestSocket;
  let bobOnB: TestSocket;
  const sockets: TestSocket[] = [];

  before(async () => {
    redis = await ownRedis();
    await redis.start();
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'redis-outage-'));
    const options = { databaseUrl: database.url, dataDir, redisUrl: redis.url, keyPrefix: 'o:' };
    a = await startInstance('A', options);
    b = await startInstance('B', options);
    [alice, bob] = await Promise.all([registerUser(a.app, 'alice'), registerUser(b.app, 'bob')]);
    aliceOnA = await connectSocket(a.baseUrl, alice.accessToken);
    bobOnB = await connectSocket(b.baseUrl, bob.accessToken);
    sockets.push(aliceOnA, bobOnB);
  });

  after(async () => {
    for (const socket of sockets) {
      socket.close();
    }
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await redis?.stop();
    await database?.drop();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should keep serving while Redis is down and recover by itself when it returns', async () => {
    const before = waitForEvent<Message>(bobOnB, 'message', (m) => m.content === 'before');
    await emitWithAck(aliceOnA, 'send_message', { recipientID: bob.id, content: 'before' });
    await before;

    await redis.stop();
    await until(
      'A to report Redis down',
      async () => ((await health(a)).redis === 'down' ? true : undefined),
      10_000,
    );
    const degraded = await fetch(`${a.baseUrl}/health`);
    expect(degraded.status).toBe(200);
    expect(((await degraded.json()) as { status: string }).status).toBe('degraded');

    // HTTP (with rate limits on the insurance limiter), new sockets and local delivery still work.
    const carol = await registerUser(a.app, 'carol');
    const aliceSecond = await connectSocket(a.baseUrl, alice.accessToken);
    sockets.push(aliceSecond);
    const local = waitForEvent<Message>(aliceSecond, 'message', (m) => m.content === 'during');
    const ack = await emitWithAck<Message>(
      aliceOnA,
      'send_message',
      { recipientID: bob.id, content: 'during' },
      5_000,
    );
    expect(ack.success).toBe(true);
    expect((await local).id).toBe(ack.data?.id);
    const toCarol = await a.app
      .http()
      .post('/api/messages/send')
      .set('Authorization', alice.auth)
      .send({ recipientID: carol.id, content: 'still serving' });
    expect(toCarol.status).toBe(201);

    // Redis comes back empty: the adapter resubscribes, bob (on B) is caught up with what he
    // missed, presence is rebuilt from each instance's own sockets.
    const missed = waitForEvent<Message>(bobOnB, 'message', (m) => m.id === ack.data?.id, 20_000);
    await redis.start();
    await until(
      'both instances to see Redis again',
      async () =>
        (await health(a)).status === 'ok' && (await health(b)).status === 'ok' ? true : undefined,
      15_000,
    );
    await missed;
    const after = waitForEvent<Message>(bobOnB, 'message', (m) => m.content === 'after', 10_000);
    await until(
      'live fan-out across instances again',
      async () => {
        const response = await emitWithAck(aliceOnA, 'send_message', {
          recipientID: bob.id,
          content: 'after',
          clientMessageID: 'after-1',
        });
        return response.success ? true : undefined;
      },
      5_000,
    );
    await after;
    await until(
      'presence rebuilt in the new Redis',
      async () => {
        const response = await b.app
          .http()
          .get(`/api/users/${alice.id}/status`)
          .set('Authorization', bob.auth);
        return (response.body as { data: { status: string } }).data.status === 'online'
          ? true
          : undefined;
      },
      10_000,
    );
  });
});
