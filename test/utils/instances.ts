import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { TEST_JWT_SECRET, type TestApp } from './test-app';

/** Helpers for suites that run the real app as separate processes (multi-instance, outages). */
const MAIN = path.resolve(__dirname, '../../src/main.js');

export interface Instance {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** A TestApp-shaped handle for the shared factories (they only use http()). */
  app: TestApp;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  abort?: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (abort?.()) {
      throw new Error(`gave up waiting for ${what}: ${abort()}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})`);
}

export interface InstanceOptions {
  databaseUrl: string;
  dataDir: string;
  redisUrl: string;
  /** REDIS_KEY_PREFIX: keeps parallel runs on one Redis apart. */
  keyPrefix: string;
  env?: Record<string, string>;
}

/** Fast heartbeats: a dead instance's users go offline within about 3 s (15 s TTL in production). */
export const INSTANCE_TTL_MS = 2_000;

/**
 * Spawns the compiled app (`.test-build/src/main.js`, built by `npm test`) on a free port and
 * resolves once /health answers 200. Start instances sharing a fresh database one after the other:
 * the first runs the migrations.
 */
export async function startInstance(name: string, options: InstanceOptions): Promise<Instance> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
    PRESENCE_INSTANCE_TTL_MS: String(INSTANCE_TTL_MS),
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: options.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_AUTH: '0',
    RATE_LIMIT_MESSAGES: '0',
    RATE_LIMIT_TYPING: '0',
    RATE_LIMIT_LOGIN_FAILURES: '3',
    DATABASE_POOL_MIN: '2',
    ...options.env,
  };
  delete env.WORKERS;
  const child = spawn(process.execPath, [MAIN], {
    env,
    stdio: ['ignore', process.env.TEST_INSTANCE_LOGS ? 'inherit' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await until(
    `instance ${name} to serve /health`,
    async () => {
      const response = await fetch(`${baseUrl}/health`);
      return response.status === 200 ? true : undefined;
    },
    60_000,
    () => (child.exitCode !== null ? `instance ${name} exited: ${stderr}` : undefined),
  );
  const app = { baseUrl, http: () => request(baseUrl) } as unknown as TestApp;
  return { name, baseUrl, child, exited, app };
}

export async function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance || instance.child.exitCode !== null || instance.child.signalCode !== null) {
    return;
  }
  instance.child.kill('SIGTERM');
  const code = await Promise.race([
    instance.exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
  ]);
  if (code === 'timeout') {
    instance.child.kill('SIGKILL');
  }
}

/** Removes every key a suite wrote under its own REDIS_KEY_PREFIX. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) {
        await redis.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
