import cluster from 'node:cluster';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import type { Server } from 'socket.io';
import { RedisConnection } from '../common/redis/redis.module';
import type { RootConfig } from '../config/configuration';
import { REALTIME_EVENTS } from './realtime.events';

/** Channel prefix of the Socket.IO Redis adapter (REDIS_KEY_PREFIX goes in front). */
export const ADAPTER_CHANNEL = 'socket.io';

type RedisAdapterFactory = typeof import('@socket.io/redis-adapter').createAdapter;

/** What `attach` plugs in, loaded beforehand: only what this process's mode needs. */
interface ScaleOutParts {
  redis: { pub: Redis; sub: Redis; createAdapter: RedisAdapterFactory } | null;
  clusterAdapter: typeof import('@socket.io/cluster-adapter').createAdapter | null;
  setupWorker: typeof import('@socket.io/sticky').setupWorker | null;
}

/**
 * Makes one Socket.IO server part of many: the Redis adapter when REDIS_URL is set (instances on any
 * machine), else the node:cluster adapter inside a `WORKERS=N` cluster; and, in a cluster worker,
 * sticky sessions so HTTP long-polling requests of one session reach the worker that holds it.
 * A single process without Redis keeps Socket.IO's in-memory adapter, and loads none of them (with
 * ioredis, ~65 ms of every start).
 */
export class ScaleOut {
  private constructor(
    private readonly logger: Logger,
    private readonly keyPrefix: string,
    private readonly events: EventEmitter2,
    private readonly parts: ScaleOutParts,
  ) {}

  /** Loads (and for Redis, connects) what this process's mode needs. */
  static async load(app: INestApplicationContext): Promise<ScaleOut> {
    const config = app.get<ConfigService<RootConfig, true>>(ConfigService);
    const redisUrl = config.get('redis.url', { infer: true });
    const logger = new Logger('ScaleOut');
    const parts: ScaleOutParts = { redis: null, clusterAdapter: null, setupWorker: null };
    if (redisUrl) {
      const [pub, sub, { createAdapter }] = await Promise.all([
        RedisConnection.create(redisUrl, logger, 'adapter-pub'),
        RedisConnection.create(redisUrl, logger, 'adapter-sub'),
        import('@socket.io/redis-adapter'),
      ]);
      parts.redis = { pub: tolerantPublisher(pub, logger), sub, createAdapter };
    } else if (cluster.isWorker) {
      parts.clusterAdapter = (await import('@socket.io/cluster-adapter')).createAdapter;
    }
    if (cluster.isWorker) {
      parts.setupWorker = (await import('@socket.io/sticky')).setupWorker;
    }
    return new ScaleOut(
      logger,
      config.get('redis.keyPrefix', { infer: true }),
      app.get(EventEmitter2),
      parts,
    );
  }

  attach(server: Server): void {
    if (this.parts.redis) {
      this.useRedis(server, this.parts.redis);
    } else if (this.parts.clusterAdapter) {
      server.adapter(this.parts.clusterAdapter());
    }
    // The primary owns the listening socket and hands each connection to a worker (src/cluster).
    this.parts.setupWorker?.(server);
  }

  private useRedis(
    server: Server,
    { pub, sub, createAdapter }: NonNullable<ScaleOutParts['redis']>,
  ): void {
    const factory = createAdapter(pub, sub, { key: `${this.keyPrefix}${ADAPTER_CHANNEL}` });
    let closed = false;
    // Socket.IO calls this with `new`: a function expression, not an arrow.
    server.adapter(function closingAdapter(nsp: Parameters<typeof factory>[0]) {
      const adapter = factory(nsp);
      const close = adapter.close.bind(adapter);
      adapter.close = async () => {
        await close();
        if (!closed) {
          closed = true;
          await Promise.all([quit(pub), quit(sub)]);
        }
      };
      return adapter;
    });

    // While the subscriber was down, broadcasts from other instances were lost for our sockets.
    // ioredis resubscribes by itself; then push each local socket what it has not confirmed yet
    // (catch-up from PostgreSQL, by every transport; clients drop duplicates by id).
    let lost = false;
    sub.on('end', () => (lost = true));
    sub.on('close', () => (lost = true));
    sub.on('ready', () => {
      if (!lost) {
        return;
      }
      lost = false;
      this.logger.log('Redis adapter resubscribed: catching up local connections');
      this.events.emit(REALTIME_EVENTS.broadcastsResumed);
    });
  }
}

/**
 * The adapter publishes without handling the promise; a rejected publish while Redis is down would
 * be an unhandled rejection (fatal in Node). Local delivery has already happened by then, and remote
 * sockets catch up from PostgreSQL, so a publish that cannot go out is dropped, not queued: once
 * Redis has been reached, nothing is sent while it is not ready (no stale burst on reconnect).
 */
function tolerantPublisher(client: Redis, logger: Logger): Redis {
  let everReady = false;
  let warned = false;
  client.on('ready', () => {
    everReady = true;
    warned = false;
  });
  const publish: (channel: string | Buffer, message: string | Buffer) => Promise<number> =
    client.publish.bind(client);
  const safe = (channel: string | Buffer, message: string | Buffer): Promise<number> => {
    if (everReady && client.status !== 'ready') {
      if (!warned) {
        warned = true;
        logger.warn('Redis is down: broadcasts reach only this instance until it returns');
      }
      return Promise.resolve(0);
    }
    return publish(channel, message).catch(() => 0);
  };
  (client as unknown as { publish: typeof safe }).publish = safe;
  return client;
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') {
    return;
  }
  await client.quit().catch(() => client.disconnect());
}
