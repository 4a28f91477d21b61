import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ensureJwtSecret } from './config/jwt-secret';
import { loadEnvOrExit } from './config/load-env';
import { ensureDatabase } from './database/database-runtime';

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit();
  const logger = new Logger('Bootstrap');
  const embedded = await ensureDatabase(env, (line) => logger.log(line));
  ensureJwtSecret(env, (line) => logger.warn(line));

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  configureApp(app);
  await app.listen(env.PORT);
  logger.log(`Listening on http://localhost:${env.PORT} (docs at /docs)`);

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
