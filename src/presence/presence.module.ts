import cluster from 'node:cluster';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import { ClusterPresenceStore } from './cluster-presence.store';
import { REDIS_CLIENT } from '../common/redis/redis.module';
import type { RootConfig } from '../config/configuration';
import { InMemoryPresenceStore, PRESENCE_STORE, type PresenceStore } from './presence.store';
import { PresenceService } from './presence.service';
import { RedisPresenceStore } from './redis-presence.store';

/**
 * Where presence lives: Redis when REDIS_URL is set (every instance sees the same), the cluster
 * primary in a `WORKERS=N` cluster without Redis, else this process.
 */
function createPresenceStore(
  config: ConfigService<RootConfig, true>,
  redis: Redis | null,
  events: EventEmitter2,
): PresenceStore {
  if (redis) {
    const instanceTtlMs = config.get('redis.presenceInstanceTtlMs', { infer: true });
    return new RedisPresenceStore(redis, { instanceTtlMs }, events);
  }
  if (cluster.isWorker) {
    return new ClusterPresenceStore(events);
  }
  return new InMemoryPresenceStore();
}

@Module({
  providers: [
    PresenceService,
    {
      provide: PRESENCE_STORE,
      useFactory: createPresenceStore,
      inject: [ConfigService, REDIS_CLIENT, EventEmitter2],
    },
  ],
  exports: [PresenceService],
})
export class PresenceModule {}
