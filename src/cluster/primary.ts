import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import type { INestApplication, Logger } from '@nestjs/common';
import type { Env } from '../config/env.schema';
import { exitOnSignals } from '../common/process/exit-on-signals';
import { ensureJwtSecret } from '../config/jwt-secret';
import { ensureDatabase } from '../database/database-runtime';
import { servePresence } from '../presence/cluster-presence.store';

/** Sent by a worker once its app is initialised and can take connections. */
const READY = 'app:ready';

/** How long workers get to close on SIGTERM before they are killed. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

/** A worker that lived this long is healthy again: its next crash restarts it without delay. */
const STABLE_AFTER_MS = 30_000;

/** `WORKERS`: unset = 1 (a single process), `auto` = one per core. */
export function workerCount(env: Env): number {
  if (!env.WORKERS) {
    return 1;
  }
  return env.WORKERS === 'auto' ? availableParallelism() : Number(env.WORKERS);
}

/** True in the process that should run the cluster primary instead of the app. */
export function isClusterPrimary(env: Env): boolean {
  return cluster.isPrimary && workerCount(env) > 1;
}

/**
 * Starts the app. In a cluster worker the primary owns the port and hands connections over
 * (sticky sessions), so the app is only initialised and then reports ready.
 */
export async function serve(app: INestApplication, port: number): Promise<void> {
  if (!cluster.isWorker) {
    await app.listen(port);
    return;
  }
  await app.init();
  process.send?.({ type: READY });
}

type StickyWorker = Worker & { clientsCount?: number };

/**
 * The `WORKERS=N` primary: starts the embedded PostgreSQL (when there is no DATABASE_URL) and the
 * JWT secret once, forks the workers (the first alone, so only it runs the migrations), then owns
 * the listening socket and hands each connection to a worker, keeping a Socket.IO session on one
 * worker (@socket.io/sticky). Without Redis it also relays the cluster adapter's messages and holds
 * presence. Crashed workers are restarted with backoff; SIGTERM/SIGINT are forwarded and awaited.
 */
export async function runClusterPrimary(env: Env, logger: Logger): Promise<void> {
  const count = workerCount(env);
  const embedded = await ensureDatabase(env, (line) => logger.log(line));
  await embedded?.ready;
  ensureJwtSecret(env, (line) => logger.warn(line));
  const workerEnv = {
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    JWT_SECRET: process.env.JWT_SECRET ?? '',
  };

  // Loaded here, not at the top: every process imports this file, only a primary needs these.
  const [{ setupPrimary: setupClusterAdapterPrimary }, { setupMaster: setupStickyPrimary }] =
    await Promise.all([import('@socket.io/cluster-adapter'), import('@socket.io/sticky')]);
  if (!env.REDIS_URL) {
    setupClusterAdapterPrimary();
    servePresence(logger);
  }
  // Sticky sessions pass request bytes (Buffers) over IPC: JSON serialization would mangle them.
  cluster.setupPrimary({ serialization: 'advanced' });
  const httpServer = createServer();
  setupStickyPrimary(httpServer, { loadBalancingMethod: 'least-connection' });

  let closing = false;
  let crashes = 0;
  const started = new Map<number, number>();

  const fork = (): StickyWorker => {
    const worker: StickyWorker = cluster.fork(workerEnv);
    // Least-connection must not pick a worker that is still booting (it would drop the connection).
    worker.clientsCount = Number.MAX_SAFE_INTEGER;
    started.set(worker.id, Date.now());
    return worker;
  };
  const whenReady = (worker: StickyWorker) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if ((message as { type?: unknown } | null)?.type === READY) {
          worker.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        worker.off('message', onMessage);
        reject(new Error(`worker ${worker.id} exited with ${code} during start-up`));
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });

  cluster.on('message', (worker: StickyWorker, message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === READY) {
      worker.clientsCount = 0;
    }
  });

  exitOnSignals(logger, async (signal) => {
    closing = true;
    logger.log(`${signal} received: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    httpServer.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exited = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exited);
    await embedded?.stop();
  });

  const first = fork();
  try {
    await whenReady(first);
    await Promise.all(Array.from({ length: count - 1 }, () => whenReady(fork())));
  } catch (error) {
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill('SIGTERM');
    }
    await embedded?.stop();
    throw error;
  }

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    if (closing) {
      return;
    }
    crashes = lived > STABLE_AFTER_MS ? 0 : crashes + 1;
    const delay = crashes === 0 ? 0 : Math.min(30_000, 500 * 2 ** (crashes - 1));
    logger.warn(
      `Worker ${worker.process.pid} died (${signal ?? `code ${code}`}): restarting in ${delay} ms`,
    );
    setTimeout(() => {
      if (!closing) {
        fork();
      }
    }, delay).unref();
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(env.PORT, () => resolve());
  });
  logger.log(
    `Listening on http://localhost:${env.PORT} with ${count} workers ` +
      `(${env.REDIS_URL ? 'Redis adapter' : 'cluster adapter'}; docs at /docs)`,
  );
}
