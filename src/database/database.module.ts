import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RootConfig } from '../config/configuration';
import { runMigrationsLocked } from './migrate';
import { buildDataSourceOptions } from './typeorm-options';

/**
 * TypeORM on PostgreSQL. Migrations run at start-up, under an advisory lock so instances starting
 * together do not race. The URL is the external server or the embedded one.
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
        const options = buildDataSourceOptions(
          url,
          config.get('database.poolSize', { infer: true }),
        );
        await runMigrationsLocked(options);
        return { ...options, migrationsRun: false, retryAttempts: 3 };
      },
    }),
  ],
})
export class DatabaseModule {}
