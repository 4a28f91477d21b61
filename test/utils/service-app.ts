import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { createTestDatabase, withTestEnv } from './test-app';

export interface ServiceApp {
  /** The real AppModule's providers: `app.get(MessageSendingService)`. */
  app: INestApplicationContext;
  /** The app's own pool, for SQL factories and checks on the rows. */
  db: DataSource;
  databaseUrl: string;
  /** Runs the shutdown hooks (the writer drains), then drops the database unless it was given. */
  close: () => Promise<void>;
}

export interface ServiceAppOptions {
  env?: Record<string, string>;
  /** A second app on the same database (a second instance): it neither creates nor drops it. */
  databaseUrl?: string;
}

/**
 * The service tier's fixture: the real AppModule, initialised (migrations run, lifecycle hooks
 * called) against a fresh database, with no HTTP listener and no sockets. Tests call services
 * directly; the rules they check are the ones the controllers and socket handlers reach.
 */
export async function createServiceApp(options: ServiceAppOptions = {}): Promise<ServiceApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: () => Promise.resolve() }
    : await createTestDatabase();
  return withTestEnv(database.url, options.env, async () => {
    if (!process.env.TEST_LOG_LEVEL) {
      Logger.overrideLogger(false);
    }
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await moduleRef.init();
    return {
      app,
      db: app.get(DataSource),
      databaseUrl: database.url,
      close: async () => {
        await app.close();
        await database.drop();
      },
    };
  });
}
