import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { isClusterPrimary, runClusterPrimary, serve } from './cluster/primary';
import { ensureJwtSecret } from './config/jwt-secret';
import { loadEnvOrExit } from './config/load-env';
import { ensureDatabase } from './database/database-runtime';

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit();
  const logger = new Logger('Bootstrap');
  if (isClusterPrimary(env)) {
    // WORKERS=N: this process supervises; the workers run this file again as the app.
    await runClusterPrimary(env, logger);
    return;
  }
  // In a worker the primary has already set DATABASE_URL and JWT_SECRET: both are no-ops.
  const embedded = await ensureDatabase(env, (line) => logger.log(line));
  ensureJwtSecret(env, (line) => logger.warn(line));

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  configureApp(app);
  await serve(app, env.PORT);
  logger.log(
    cluster.isWorker
      ? `Worker ${process.pid} ready`
      : `Listening on http://localhost:${env.PORT} (docs at /docs)`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    logger.log(`${signal} received: closing`);
    const timer = setTimeout(() => {
      logger.error('Shutdown took longer than 15 s, exiting');
      process.exit(1);
    }, 15_000);
    timer.unref();
    try {
      await app.close();
      await embedded?.stop();
      process.exit(0);
    } catch (error) {
      logger.error(`Shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
