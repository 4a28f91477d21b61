import { Global, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { RootConfig } from '../../config/configuration';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * The shared Redis connection when REDIS_URL is set, else null (everything falls back to in-process
 * state). Commands fail fast while Redis is down instead of queueing forever, and the client keeps
 * reconnecting by itself.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | null;

  constructor(config: ConfigService<RootConfig, true>) {
    const url = config.get('redis.url', { infer: true });
    // Every key this client touches gets REDIS_KEY_PREFIX (ioredis applies it to keys, Lua KEYS
    // included), so deployments or test runs sharing one Redis never collide.
    const keyPrefix = config.get('redis.keyPrefix', { infer: true });
    this.client = url ? RedisConnection.create(url, this.logger, 'main', { keyPrefix }) : null;
  }

  static create(
    url: string,
    logger: Logger,
    name = 'main',
    options: { keyPrefix?: string } = {},
  ): Redis {
    const client = new Redis(url, {
      ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      lazyConnect: false,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    let healthy = true;
    client.on('error', (error: Error) => {
      if (healthy) {
        logger.warn(`Redis (${name}) unavailable: ${error.message}`);
        healthy = false;
      }
    });
    client.on('ready', () => {
      if (!healthy) {
        logger.log(`Redis (${name}) reconnected`);
      }
      healthy = true;
    });
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') {
      await this.client.quit().catch(() => this.client?.disconnect());
    }
  }
}

@Global()
@Module({
  providers: [
    RedisConnection,
    {
      provide: REDIS_CLIENT,
      useFactory: (connection: RedisConnection) => connection.client,
      inject: [RedisConnection],
    },
  ],
  exports: [RedisConnection, REDIS_CLIENT],
})
export class RedisModule {}
