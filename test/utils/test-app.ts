import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** The PostgreSQL server the run uses (set by scripts/run-tests.js). */
export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  }
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates an empty database on the test server; returns its URL and a dropper. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `msg_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    url: withDatabase(serverUrl(), name),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  databaseUrl: string;
  http: () => TestAgent;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment (rate limits, REDIS_URL, ...). Rate limits default to 0 (off) in tests. */
  env?: Record<string, string>;
  /** Reuse an existing database instead of creating one (multi-instance tests). */
  databaseUrl?: string;
}

/**
 * The environment every test app boots with (rate limits off, logs silent, the test JWT secret),
 * set while `boot` runs and restored after: config is read at module init, so the values stick to
 * the app without leaking into the next one a suite starts. REDIS_URL is unset unless given.
 */
export async function withTestEnv<T>(
  databaseUrl: string,
  extra: Record<string, string> | undefined,
  boot: () => Promise<T>,
): Promise<T> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_AUTH: '0',
    RATE_LIMIT_LOGIN_FAILURES: '0',
    RATE_LIMIT_MESSAGES: '0',
    RATE_LIMIT_TYPING: '0',
    RATE_LIMIT_REQUESTS: '0',
    // A test process boots many apps against one server (max_connections 100): two warm
    // connections each, not the production default of the whole pool.
    DATABASE_POOL_MIN: '2',
    ...extra,
  };
  const previous: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    previous[key] = process.env[key];
    process.env[key] = value;
  }
  if (!extra?.REDIS_URL) {
    previous.REDIS_URL = process.env.REDIS_URL;
    delete process.env.REDIS_URL;
  }
  try {
    return await boot();
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  }
}

/**
 * Boots the real AppModule on a fresh database (migrated by the real migrations) on a random port,
 * configured exactly as main.ts configures it.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: () => Promise.resolve() }
    : await createTestDatabase();
  return withTestEnv(database.url, options.env, async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    await configureApp(app);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    const baseUrl = `http://127.0.0.1:${address.port}`;
    return {
      app,
      baseUrl,
      databaseUrl: database.url,
      http: () => request(app.getHttpServer()),
      close: async () => {
        await app.close();
        await database.drop();
      },
    };
  });
}
