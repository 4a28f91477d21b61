import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RootConfig } from '../config/configuration';
import { buildDataSourceOptions } from './typeorm-options';

/** TypeORM on PostgreSQL; migrations run at start-up. The URL is the external server or the embedded one. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<RootConfig, true>) => {
        const url = config.get('database.url', { infer: true });
        if (!url) {
          throw new Error(
            'DATABASE_URL is not set and no embedded PostgreSQL was started (see src/main.ts)',
          );
        }
        return {
          ...buildDataSourceOptions(url, config.get('database.poolSize', { infer: true })),
          retryAttempts: 3,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
