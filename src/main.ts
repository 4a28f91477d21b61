import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConsoleLogger, Logger, type LogLevel as NestLogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { exitOnSignals } from './common/process/exit-on-signals';
import { isClusterPrimary, runClusterPrimary, serve } from './cluster/primary';
import { ensureJwtSecret } from './config/jwt-secret';
import type { Env } from './config/env.schema';
import { loadEnvOrExit } from './config/load-env';
import { ensureDatabase } from './database/database-runtime';

/** LOG_LEVEL in Nest's terms, for the lines written before the app (and its pino logger) exists. */
function nestLevels(level: Env['LOG_LEVEL']): NestLogLevel[] {
  const order: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const upTo = { silent: -1, fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level];
  return order.slice(0, upTo + 1);
}

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit();
  // Start-up lines (embedded PostgreSQL, JWT secret, cluster primary) are JSON too, one object per
  // line; from app creation on, pino takes over (bufferLogs holds Nest's own lines until then).
  Logger.overrideLogger(
    new ConsoleLogger({ json: true, colors: false, logLevels: nestLevels(env.LOG_LEVEL) }),
  );
  const logger = new Logger('Bootstrap');
  if (isClusterPrimary(env)) {
    // WORKERS=N: this process supervises; the workers run this file again as the app.
    await runClusterPrimary(env, logger);
    return;
  }
  // In a worker the primary has already set DATABASE_URL and JWT_SECRET: both are no-ops.
  const embedded = await ensureDatabase(env, (line) => logger.log(line));
  ensureJwtSecret(env, (line) => logger.warn(line));
  // The application's modules load (about a second, synchronously) while the embedded PostgreSQL
  // boots in its own processes: imported only now, after it was spawned. One at a time: Node 20
  // fails a require() of a module that a concurrent import() is still loading.
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module.js');
  const { configureApp } = await import('./app.setup.js');
  await embedded?.ready;

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  await configureApp(app);
  await serve(app, env.PORT);
  logger.log(
    cluster.isWorker
      ? `Worker ${process.pid} ready`
      : `Listening on http://localhost:${env.PORT} (docs at /docs)`,
  );

  exitOnSignals(
    logger,
    async (signal) => {
      logger.log(`${signal} received: closing`);
      await app.close();
      await embedded?.stop();
    },
    15_000,
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
