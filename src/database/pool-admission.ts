import type { Pool, PoolClient } from 'pg';
import { AppError } from '../common/errors/app-error';

type ConnectCallback = (
  error: Error | undefined,
  client?: PoolClient,
  release?: () => void,
) => void;

/**
 * Bounds the requests waiting for a pool connection. node-postgres queues waiters without limit, so
 * under overload every request waited until `connectionTimeoutMillis` and then failed; now, once
 * `maxWaiters` are queued, the next one fails at once with UNAVAILABLE (503 + retry hint) and the
 * ones already queued keep a bounded wait.
 */
export function boundPoolWaiters(pool: Pool, maxWaiters: number): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => unknown;
  const saturated = (): boolean =>
    pool.waitingCount >= maxWaiters && pool.totalCount >= (pool.options.max ?? 10);
  const patched = (callback?: ConnectCallback): unknown => {
    if (saturated()) {
      const error = AppError.unavailable('The database is busy, try again shortly', 1);
      if (callback) {
        process.nextTick(() => callback(error));
        return undefined;
      }
      return Promise.reject(error);
    }
    return connect(callback);
  };
  pool.connect = patched as Pool['connect'];
}

/**
 * node-postgres drops its own error listener from a client while it is checked out, and TypeORM adds
 * none, so a connection the server terminates between two statements (a restart, a failover,
 * `pg_terminate_backend`) would emit an unhandled 'error' and crash the process. Every client the
 * pool hands out gets a listener for its lifetime; the failure then reaches the next query on that
 * client, which fails (503 UNAVAILABLE) and releases it to be discarded.
 */
export function guardCheckedOutClients(pool: Pool, onError: (error: Error) => void): void {
  const guarded = new WeakSet<PoolClient>();
  pool.on('acquire', (client: PoolClient) => {
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', onError);
    }
  });
}
