import { Global, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type Redis from 'ioredis';
import type { RootConfig } from '../../config/configuration';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * The shared Redis connection when REDIS_URL is set, else null (everything falls back to in-process
 * state). Commands fail fast while Redis is down instead of queueing forever, and the client keeps
 * reconnecting by itself. ioredis is loaded only when a client is made: a process without REDIS_URL
 * skips its ~60 ms load on every start.
 */
export class RedisConnection implements OnApplicationShutdown {
  private constructor(readonly client: Redis | null) {}

  static async open(config: ConfigService<RootConfig, true>): Promise<RedisConnection> {
    const url = config.get('redis.url', { infer: true });
    // Every key this client touches gets REDIS_KEY_PREFIX (ioredis applies it to keys, Lua KEYS
    // included), so deployments or test runs sharing one Redis never collide.
    const keyPrefix = config.get('redis.keyPrefix', { infer: true });
    return new RedisConnection(
      url ? await RedisConnection.create(url, new Logger('Redis'), 'main', { keyPrefix }) : null,
    );
  }

  static async create(
    url: string,
    logger: Logger,
    name = 'main',
    options: { keyPrefix?: string } = {},
  ): Promise<Redis> {
    const { Redis: RedisClient } = await import('ioredis');
    const client = new RedisClient(url, {
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
    {
      provide: RedisConnection,
      useFactory: (config: ConfigService<RootConfig, true>) => RedisConnection.open(config),
      inject: [ConfigService],
    },
    {
      provide: REDIS_CLIENT,
      useFactory: (connection: RedisConnection) => connection.client,
      inject: [RedisConnection],
    },
  ],
  exports: [RedisConnection, REDIS_CLIENT],
})
export class RedisModule {}
