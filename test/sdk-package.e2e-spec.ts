import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { createTestApp, type TestApp } from './utils/test-app';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');
const sdkDir = join(root, 'libs', 'sdk');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Plain Node, no TypeScript, no repository paths: only the installed package. */
const ROUND_TRIP = `
import { MessagingClient, ApiError } from '@messaging-api/sdk';

const baseUrl = process.env.API_URL;
const suffix = Math.random().toString(16).slice(2, 10);
const password = 'correct-horse-battery';

async function user(name) {
  const client = new MessagingClient({ baseUrl });
  const username = name + '_' + suffix;
  const me = await client.register({ username, email: username + '@example.com', password });
  await client.login({ username, password });
  return { client, me };
}

const alice = await user('alice');
const bob = await user('bob');
const aliceLive = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
await Promise.all([aliceLive.ready(), bobLive.ready()]);
const received = new Promise((resolve) => bobLive.onMessage(resolve));
const sent = await aliceLive.send({ recipientID: bob.me.id, content: 'hello from the package' });
const got = await received;
const history = await bob.client.history(alice.me.id);
const refused = await alice.client.getUser('00000000-0000-4000-8000-000000000000').catch((e) => e);
aliceLive.close();
bobLive.close();
console.log(JSON.stringify({
  sentId: sent.id,
  receivedId: got.id,
  receivedContent: got.content,
  historyIds: history.items.map((m) => m.id),
  apiError: refused instanceof ApiError ? refused.code : String(refused),
}));
`;

const REQUIRE_CHECK = `
const sdk = require('@messaging-api/sdk');
console.log(JSON.stringify({
  client: typeof sdk.MessagingClient,
  session: typeof sdk.RealtimeSession,
  wsPath: sdk.WS_PATH,
}));
`;

/** Type-checks a consumer against the package's .d.ts (as a TypeScript user would compile it). */
const CONSUMER_TS = `
import { MessagingClient, type Message, type RealtimeSession } from '@messaging-api/sdk';

const client = new MessagingClient({ baseUrl: 'http://localhost:3000' });
export async function hello(recipientID: string): Promise<Message> {
  const live: RealtimeSession = client.connect();
  live.onMessage((message: Message) => message.content.toUpperCase());
  return live.send({ recipientID, content: 'hi' });
}
`;

describe('SDK package (npm pack of libs/sdk, installed into an empty project)', () => {
  let app: TestApp;
  let work: string;
  let project: string;

  before(async () => {
    app = await createTestApp();
    work = mkdtempSync(join(tmpdir(), 'sdk-package-'));
    project = join(work, 'consumer');
    // `npm pack` runs the package's prepack: a fresh ESM + CJS build with types.
    await run(npm, ['pack', '--pack-destination', work], { cwd: sdkDir });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) {
      throw new Error(`npm pack left no tarball in ${work}`);
    }
    await run('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }),
    );
    // Offline: socket.io-client (the package's one dependency) comes from this repository's
    // node_modules as a linked directory, so no registry is asked for anything.
    const socketIoClient = dirname(require.resolve('socket.io-client/package.json'));
    await run(
      npm,
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        join(work, tarball),
        socketIoClient,
      ],
      { cwd: project },
    );
  });

  after(async () => {
    await app?.close();
    if (work) {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('should register, log in, connect, send and receive from plain Node through the installed package', async () => {
    writeFileSync(join(project, 'round-trip.mjs'), ROUND_TRIP);
    const { stdout } = await run(process.execPath, ['round-trip.mjs'], {
      cwd: project,
      env: { ...process.env, API_URL: app.baseUrl },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(result.receivedId).toBe(result.sentId);
    expect(result.receivedContent).toBe('hello from the package');
    expect(result.historyIds).toEqual([result.sentId]);
    expect(result.apiError).toBe('NOT_FOUND');
  });

  it('should load through require() (CommonJS build) as well', async () => {
    writeFileSync(join(project, 'require-check.cjs'), REQUIRE_CHECK);
    const { stdout } = await run(process.execPath, ['require-check.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ client: 'function', session: 'function', wsPath: '/ws' });
  });

  it('should ship .d.ts types that a TypeScript consumer compiles against', async () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: project,
    }).catch((error: { stdout?: string; code?: number }) => error);
    expect(result.stdout ?? '').toBe('');
  });
});
