import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { warmPool, WARM_UP_STATEMENT } from '../../src/database/pool-warm-up';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { createTestDatabase } from '../utils/test-app';

const WARMED = 4;

function poolOf(db: DataSource): Pool {
  return (db.driver as unknown as { master: Pool }).master;
}

/** The app's idle backends on this database whose last statement was the warm-up. */
async function warmedBackends(admin: Client): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND application_name = 'messaging-api' AND state = 'idle' AND query = $1`,
    [WARM_UP_STATEMENT],
  );
  return Number(rows[0].n);
}

describe('pool warm-up at start-up', () => {
  let service: ServiceApp;
  let admin: Client;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    service = await createServiceApp({
      databaseUrl: database.url,
      env: { DATABASE_POOL_MIN: String(WARMED) },
    });
  });

  after(async () => {
    await service.close();
    await admin.end();
    await dropDatabase();
  });

  it('should open DATABASE_POOL_MIN connections before serving and keep them idle in the pool', () => {
    const pool = poolOf(service.db);
    expect(pool.totalCount).toBe(WARMED);
    expect(pool.idleCount).toBe(WARMED);
  });

  it('should have run the group commit function once on each warmed connection', async () => {
    expect(await warmedBackends(admin)).toBe(WARMED);
  });

  it('should write nothing: the warm-up statement posts no message and changes no row', async () => {
    const counts = async (): Promise<string> =>
      JSON.stringify(
        (
          await admin.query(
            `SELECT (SELECT count(*) FROM messages) AS messages,
                    (SELECT count(*) FROM conversations) AS conversations,
                    (SELECT count(*) FROM conversation_members) AS members`,
          )
        ).rows,
      );
    const before = await counts();
    expect(await service.db.query(WARM_UP_STATEMENT)).toEqual([{ rows: 0 }]);
    expect(await counts()).toBe(before);
  });

  it('should warm a pool of its own and report a failing statement without throwing', async () => {
    const pool = new Pool({ connectionString: service.databaseUrl, max: 2 });
    try {
      const failed = await warmPool(pool, 2, 'SELECT no_such_function()');
      expect(failed.warmed).toBe(0);
      expect(failed.error?.message).toMatch(/no_such_function/);
      // Connections whose statement failed are discarded, not kept.
      expect(pool.totalCount).toBe(0);
      expect(await warmPool(pool, 2)).toEqual({ warmed: 2 });
      expect(pool.idleCount).toBe(2);
    } finally {
      await pool.end();
    }
  });
});
