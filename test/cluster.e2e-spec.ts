import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import request from 'supertest';
import type { Message } from '../libs/contracts/src';
import { registerUser, type RegisteredUser } from './utils/factories';
import { freePort, until } from './utils/instances';
import { PlainWsClient } from './utils/plain-ws-client';
import { TEST_JWT_SECRET, type TestApp } from './utils/test-app';
import { connectSocket, emitWithAck, waitForEvent, type TestSocket } from './utils/ws-client';

/** `WORKERS=2` on the embedded default: the primary, two workers, one embedded PostgreSQL. */
const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

describe('WORKERS=2 (node:cluster) on the embedded PostgreSQL', () => {
  let dataDir: string;
  let baseUrl: string;
  let child: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;
  let app: TestApp;
  const sockets: TestSocket[] = [];
  const plains: PlainWsClient[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'messaging-cluster-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of ['DATABASE_URL', 'TEST_DATABASE_URL', 'REDIS_URL', 'NODE_TEST_CONTEXT']) {
      delete env[key];
    }
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...env,
        WORKERS: '2',
        PORT: String(port),
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_JWT_SECRET,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_AUTH: '0',
        RATE_LIMIT_MESSAGES: '0',
        RATE_LIMIT_TYPING: '0',
        RATE_LIMIT_LOGIN_FAILURES: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    baseUrl = `http://127.0.0.1:${port}`;
    await until(
      'the cluster to serve /health',
      async () => ((await fetch(`${baseUrl}/health`)).status === 200 ? true : undefined),
      90_000,
      () => (child.exitCode !== null ? `exited: ${stderr}` : undefined),
    );
    app = { baseUrl, http: () => request(baseUrl) } as unknown as TestApp;
  });

  after(() => {
    sockets.forEach((socket) => socket.close());
    plains.forEach((client) => client.close());
    if (child.exitCode === null) {
      child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should run two workers under the primary', () => {
    const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(child.pid)])
      .toString()
      .split('\n')
      .filter((line) => line.includes('main.js'));
    expect(children).toHaveLength(2);
  });

  it('should deliver between sockets on any worker, over websocket and polling', async () => {
    const alice: RegisteredUser = await registerUser(app, 'alice');
    const bob: RegisteredUser = await registerUser(app, 'bob');
    // Several sockets per user land on both workers (round-robin); polling relies on sticky sessions.
    const bobs = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        connectSocket(baseUrl, bob.accessToken, {
          transports: i % 2 ? ['polling'] : ['websocket'],
        }),
      ),
    );
    const alices = await Promise.all(
      [0, 1].map(() =>
        connectSocket(baseUrl, alice.accessToken, { transports: ['polling', 'websocket'] }),
      ),
    );
    sockets.push(...bobs, ...alices);

    const overSocket = bobs.map((s) =>
      waitForEvent<Message>(s, 'message', (m) => m.content === 'via socket'),
    );
    const ack = await emitWithAck<Message>(alices[0], 'send_message', {
      recipientID: bob.id,
      content: 'via socket',
    });
    expect(ack.success).toBe(true);
    await Promise.all(overSocket);

    const overHttp = bobs.map((s) =>
      waitForEvent<Message>(s, 'message', (m) => m.content === 'via http'),
    );
    await app
      .http()
      .post('/api/messages/send')
      .set('Authorization', alice.auth)
      .send({ recipientID: bob.id, content: 'via http' })
      .expect(201);
    await Promise.all(overHttp);

    const status = await app
      .http()
      .get(`/api/users/${bob.id}/status`)
      .set('Authorization', alice.auth)
      .expect(200);
    expect(status.body.data.status).toBe('online');
  });

  it('should deliver to plain WebSocket connections on every worker', async () => {
    const alice = await registerUser(app, 'alice');
    const bob = await registerUser(app, 'bob');
    // Round-robin: four connections land on both workers.
    const bobs = await Promise.all(
      [0, 1, 2, 3].map(() => PlainWsClient.connect(baseUrl, bob.accessToken)),
    );
    const sender = await PlainWsClient.connect(baseUrl, alice.accessToken);
    plains.push(...bobs, sender);
    const ack = await sender.request('send_message', { recipientID: bob.id, content: 'plain' });
    expect(ack.success).toBe(true);
    const id = (ack.data as Message).id;
    await Promise.all(bobs.map((c) => c.event('message', (m) => (m as Message).id === id)));
  });

  it('should stop the workers and the embedded database and exit 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 30_000)),
    ]);
    expect(code).toBe(0);
  });
});
