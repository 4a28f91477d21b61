import type { Pool, PoolClient } from 'pg';

/**
 * What each warmed connection runs once: the group commit's function (see the LeanPostMessages
 * migration) with no messages. PostgreSQL compiles a PL/pgSQL function, plans its statements and
 * loads the catalog entries of the tables they touch once per backend, on first use: 10-40 ms per
 * connection here, paid by the first commit on it. With no messages every statement still runs (on
 * no rows), so all of that is paid now and nothing is written.
 */
export const WARM_UP_STATEMENT = `SELECT count(*)::int AS rows FROM post_messages(
  '{}'::uuid[], '{}'::uuid[], '{}'::uuid[], '{}'::uuid[], '{}'::uuid[], '{}'::text[],
  '{}'::varchar[], '{}'::varchar[], '{}'::uuid[], '{}'::text[], now())`;

export interface WarmUpResult {
  warmed: number;
  /** The first failure, when some connections could not be opened or warmed. */
  error?: Error;
}

/**
 * Opens `connections` pool connections at once, runs `statement` on each and returns them to the
 * pool, which keeps them (its `min`). Without it the pool grows during the first burst of traffic
 * after a start: each new connection costs a TCP connect, a SCRAM exchange (PBKDF2 on the event
 * loop, ~5 ms) and a new backend's warm-up, exactly when a deploy's reconnecting clients all send at
 * once. A failure is reported, not thrown: the pool still opens connections on demand.
 */
export async function warmPool(
  pool: Pool,
  connections: number,
  statement: string = WARM_UP_STATEMENT,
): Promise<WarmUpResult> {
  const opened = await Promise.allSettled(
    Array.from({ length: connections }, () => pool.connect()),
  );
  const clients = opened.flatMap((outcome) =>
    outcome.status === 'fulfilled' ? [outcome.value] : [],
  );
  let error = opened.find((outcome) => outcome.status === 'rejected')?.reason as Error | undefined;
  const ran = await Promise.allSettled(clients.map((client) => client.query(statement)));
  let warmed = 0;
  ran.forEach((outcome, index) => {
    const client: PoolClient = clients[index];
    if (outcome.status === 'fulfilled') {
      warmed += 1;
      client.release();
    } else {
      error ??= outcome.reason as Error;
      client.release(outcome.reason as Error);
    }
  });
  return { warmed, ...(error ? { error } : {}) };
}
