import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Pool, type PoolClient } from 'pg';
import { boundPoolWaiters, guardCheckedOutClients } from '../src/database/pool-admission';
import { serverUrl } from './utils/test-app';

describe('pool admission', () => {
  let pool: Pool;
  const clientErrors: Error[] = [];

  before(() => {
    pool = new Pool({ connectionString: serverUrl(), max: 1, connectionTimeoutMillis: 5_000 });
    boundPoolWaiters(pool, 2);
    guardCheckedOutClients(pool, (error) => clientErrors.push(error));
  });

  after(async () => {
    await pool.end();
  });

  it('should refuse a connection request at once with UNAVAILABLE once the waiters are at the bound', async () => {
    const held: PoolClient = await pool.connect();
    const waiting = [pool.connect(), pool.connect()];
    const started = Date.now();
    await expect(pool.connect()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1_000);
    held.release();
    // The ones already waiting are served in turn.
    for (const next of waiting) {
      const client = await next;
      client.release();
    }
    const result = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(result.rows[0].one).toBe(1);
  });

  it('should survive the server closing a connection that is checked out between statements', async () => {
    const held: PoolClient = await pool.connect();
    const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const ended = new Promise<void>((resolve) => held.once('end', () => resolve()));
    const admin = new Pool({ connectionString: serverUrl(), max: 1 });
    try {
      // Without a listener on the checked-out client this 'error' is an uncaught exception.
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    } finally {
      await admin.end();
    }
    await ended;
    expect(clientErrors[0]?.message).toContain('terminating connection');
    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release(new Error('closed by the server'));
    const result = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(result.rows[0].one).toBe(1);
  });
});
