import { Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { RootConfig } from '../config/configuration';
import { runMigrationsLocked } from './migrate';
import { boundPoolWaiters, guardCheckedOutClients } from './pool-admission';
import { warmPool } from './pool-warm-up';
import { buildDataSourceOptions } from './typeorm-options';

/**
 * Puts the configured bound on the app pool's waiters (see boundPoolWaiters) and an error listener
 * on every connection it hands out (see guardCheckedOutClients), then opens and warms
 * `DATABASE_POOL_MIN` connections before the server listens (see warmPool).
 */
@Injectable()
class PoolSetup implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<RootConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) {
      return;
    }
    boundPoolWaiters(pool, this.config.get('database.poolMaxWaiters', { infer: true }));
    const logger = new Logger('DatabasePool');
    guardCheckedOutClients(pool, (error) =>
      logger.warn(`A connection in use was closed by the server: ${error.message}`),
    );
    const { warmed, error } = await warmPool(
      pool,
      this.config.get('database.poolMin', { infer: true }),
    );
    if (error) {
      logger.warn(`Warmed ${warmed} connections at start-up; the rest failed: ${error.message}`);
    }
  }
}

/**
 * TypeORM on PostgreSQL. Migrations run at start-up, under an advisory lock so instances starting
 * together do not race, on a small pool without timeouts. The URL is the external server or the
 * embedded one. The app pool's size, timeouts and waiter bound are settings.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: async (config: ConfigService<RootConfig, true>) => {
        const url = config.get('database.url', { infer: true });
        if (!url) {
          throw new Error(
            'DATABASE_URL is not set and no embedded PostgreSQL was started (see src/main.ts)',
          );
        }
        await runMigrationsLocked(buildDataSourceOptions(url));
        const database = config.get('database', { infer: true });
        return {
          ...buildDataSourceOptions(url, {
            poolSize: database.poolSize,
            minSize: database.poolMin,
            connectTimeoutMs: database.connectTimeoutMs,
            statementTimeoutMs: database.statementTimeoutMs,
            lockTimeoutMs: database.lockTimeoutMs,
            idleInTransactionTimeoutMs: database.idleInTransactionTimeoutMs,
          }),
          migrationsRun: false,
          retryAttempts: 3,
        };
      },
    }),
  ],
  providers: [PoolSetup],
})
export class DatabaseModule {}
