import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import type { Message } from '../libs/contracts/src';
import { closeAll } from './utils/realtime';
import { registerUser, type RegisteredUser } from './utils/factories';
import { freePort, type Instance, startInstance, stopInstance, until } from './utils/instances';
import { createTestApp, type TestApp } from './utils/test-app';
import { connectSocket, type TestSocket } from './utils/ws-client';

/**
 * PostgreSQL stops under a running server and comes back. Uses a throwaway cluster of its own
 * (initdb into a temp dir, on a free port): the shared server must never be stopped. initdb refuses
 * to run as root, so as root the cluster belongs to the `postgres` OS user.
 */
const PG_BIN = ['/usr/lib/postgresql']
  .filter((root) => existsSync(root))
  .flatMap((root) => readdirSync(root).map((version) => path.join(root, version, 'bin')))
  .find((bin) => existsSync(path.join(bin, 'initdb')));
const asRoot = process.getuid?.() === 0;
const postgresUid = Number(spawnSync('id', ['-u', 'postgres']).stdout?.toString().trim());
const canRun = !!PG_BIN && (!asRoot || Number.isInteger(postgresUid));

function pgTool(tool: string, args: string[]): void {
  const command = path.join(PG_BIN as string, tool);
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  }
}

interface OwnPostgres {
  url: string;
  start: () => void;
  stop: () => void;
  remove: () => void;
}

async function ownPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-outage-'));
  if (asRoot) {
    chownSync(dir, postgresUid, postgresUid);
  }
  const data = path.join(dir, 'data');
  pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () =>
      pgTool('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']),
    stop: () => pgTool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe('PostgreSQL outage under load', { skip: !canRun && 'no initdb/pg_ctl' }, () => {
  let pg: OwnPostgres;
  let a: TestApp;
  /**
   * A second instance (its own process: passport strategies are process-wide) on the same database:
   * its session cache is empty, so it must ask the database.
   */
  let b: Instance;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  /** Users whose sessions B has never checked: their connects form one batch during the outage. */
  let batch: RegisteredUser[];
  let bobSocket: TestSocket;
  const received = new Set<string>();

  before(async () => {
    pg = await ownPostgres();
    pg.start();
    const env = { DATABASE_CONNECT_TIMEOUT_MS: '1000' };
    a = await createTestApp({ databaseUrl: pg.url, env });
    b = await startInstance('B', {
      databaseUrl: pg.url,
      dataDir: path.join(tmpdir(), 'pg-outage-b'),
      redisUrl: '',
      keyPrefix: '',
      env,
    });
    [alice, bob] = [await registerUser(a, 'alice'), await registerUser(a, 'bob')];
    batch = [];
    for (let i = 0; i < 4; i += 1) {
      batch.push(await registerUser(a, 'batch'));
    }
    bobSocket = await connectSocket(a.baseUrl, bob.accessToken);
    bobSocket.on('message', (message: Message) => received.add(message.clientMessageID ?? ''));
  });

  after(async () => {
    closeAll(bobSocket);
    await a?.close();
    await stopInstance(b);
    try {
      pg?.stop();
    } catch {
      // already stopped
    }
    pg?.remove();
  });

  it('should answer 503 UNAVAILABLE (never 401 or 500) while it is down, recover by itself and store every retried send once', async () => {
    const total = 60;
    const statuses: number[] = [];
    let stopLoad = false;
    // The load: alice sends `total` messages, each retried with its clientMessageID until stored.
    const load = (async () => {
      for (let i = 0; i < total && !stopLoad; i += 1) {
        for (;;) {
          const response = await a
            .http()
            .post('/api/messages/send')
            .set('Authorization', alice.auth)
            .send({ recipientID: bob.id, content: `out ${i}`, clientMessageID: `out-${i}` });
          statuses.push(response.status);
          if (response.status === 201 || stopLoad) {
            break;
          }
          expect(response.status).toBe(503);
          expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })();
    try {
      await until('some sends stored', () => (statuses.includes(201) ? true : undefined), 10_000);
      pg.stop();

      const health = await a.http().get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'error', database: 'down' });

      // B has never seen alice's session: it cannot check it and must not call the token bad.
      const me = await b.app.http().get('/api/users/me').set('Authorization', alice.auth);
      expect(me.status).toBe(503);
      expect(me.body.error.code).toBe('UNAVAILABLE');
      expect(Number(me.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // A batch of connects at once (their session checks share one query): every good token is
      // UNAVAILABLE with a retry hint, and the bad one mixed into it is still UNAUTHORIZED.
      const tokens = [alice, ...batch].flatMap((user) => [user.accessToken, user.accessToken]);
      const refusals = await Promise.all(
        [...tokens, 'not-a-jwt'].map((token) =>
          connectSocket(b.baseUrl, token).then(
            (socket) => {
              socket.close();
              return null;
            },
            (error: Error & { data?: { retryAfterMs?: number } }) => error,
          ),
        ),
      );
      expect(refusals.map((refused) => refused?.message)).toEqual([
        ...tokens.map(() => 'UNAVAILABLE'),
        'UNAUTHORIZED',
      ]);
      for (const refused of refusals.slice(0, tokens.length)) {
        expect(refused?.data?.retryAfterMs).toBeGreaterThan(0);
      }
      // A bad token is still a 401 while the database is down.
      await b.app.http().get('/api/users/me').set('Authorization', 'Bearer nope').expect(401);

      await until(
        'a send refused while down',
        () => (statuses.includes(503) ? true : undefined),
        10_000,
      );
      pg.start();
      const restarted = Date.now();
      await until(
        '/health back to 200',
        async () => ((await a.http().get('/health')).status === 200 ? true : undefined),
        10_000,
      );
      expect(Date.now() - restarted).toBeLessThan(5_000);
      await b.app.http().get('/api/users/me').set('Authorization', alice.auth).expect(200);
      // The same batch connects once the database is back.
      const back = await Promise.all(
        batch.map((user) => connectSocket(b.baseUrl, user.accessToken)),
      );
      closeAll(...back);
      await load;
    } finally {
      stopLoad = true;
      await load.catch(() => undefined);
    }

    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const rows = await a.app
      .get(DataSource)
      .query<{ client_message_id: string; n: string }[]>(
        `SELECT client_message_id, count(*) AS n FROM messages WHERE sender_id = $1 GROUP BY 1`,
        [alice.id],
      );
    expect(rows.length).toBe(total);
    expect(rows.every((row) => row.n === '1')).toBe(true);
    await until(
      'bob to receive every message',
      () => (received.size >= total ? true : undefined),
      10_000,
    );
  });
});
