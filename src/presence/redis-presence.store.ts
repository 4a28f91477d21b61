import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import type { PresenceStatus } from '../../libs/contracts/src';
import { PRESENCE_EVENTS, type PresenceChangedEvent } from './presence.events';
import { announceOffline } from './offline-announcer';
import type { PresenceRecord, PresenceStore } from './presence.store';

/**
 * Redis layout (every key also carries REDIS_KEY_PREFIX, applied by the shared ioredis client):
 *   presence:user:<userId>       hash  s = online|away|offline, t = lastSeen (ms),
 *                                      c:<instanceId> = that instance's open sockets of the user
 *   presence:instance:<id>       string, TTL = PRESENCE_INSTANCE_TTL_MS, refreshed every third of it
 *   presence:instances           hash  instanceId -> last heartbeat (ms)
 *   presence:members:<id>        set   users the instance counts (or is running a grace timer for)
 * A user is online while the c:* fields sum above zero (plus the grace period). Every instance sweeps:
 * an instance whose heartbeat key expired is dead, its c:* fields are removed, and users left with no
 * socket anywhere go offline with lastSeen = its last heartbeat.
 */
const KEYS = {
  user: (userId: string) => `presence:user:${userId}`,
  instance: (id: string) => `presence:instance:${id}`,
  instances: 'presence:instances',
  members: (id: string) => `presence:members:${id}`,
};

/** An offline record outlives its database write by at most this (it is normally forgotten at once). */
const OFFLINE_RECORD_TTL_SECONDS = 24 * 60 * 60;

const SUM_SOCKETS = `
local function sockets(key)
  local total = 0
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'c:' then total = total + tonumber(all[i + 1]) end
  end
  return total
end
`;

/**
 * KEYS: user, members(self). ARGV: instanceId, count (this instance's sockets of the user), now,
 * userId, onlyIfKnown. Sets this instance's count absolutely (idempotent: a resync writes the same).
 * Returns {total sockets, became online}.
 */
const SET_COUNT = `${SUM_SOCKETS}
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local n = tonumber(ARGV[2])
if n > 0 then
  redis.call('HSET', KEYS[1], 'c:' .. ARGV[1], n)
  redis.call('SADD', KEYS[2], ARGV[4])
else
  redis.call('HDEL', KEYS[1], 'c:' .. ARGV[1])
end
local total = sockets(KEYS[1])
local status = redis.call('HGET', KEYS[1], 's')
local became = 0
if total > 0 and (not status or status == 'offline') then
  redis.call('HSET', KEYS[1], 's', 'online')
  became = 1
end
redis.call('HSET', KEYS[1], 't', ARGV[3])
redis.call('PERSIST', KEYS[1])
return {total, became}
`;

/** KEYS: user. ARGV: status. Returns 1 when a connected user's status changed. */
const SET_STATUS = `${SUM_SOCKETS}
local status = redis.call('HGET', KEYS[1], 's')
if not status or status == ARGV[1] or sockets(KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1])
return 1
`;

/**
 * KEYS: user, members(instance), instance key. ARGV: instanceId, userId, at, ttl, reaping.
 * Drops the instance's count; if no socket is left anywhere, marks the user offline. Exactly one
 * caller sees 1 (the one that flipped the status), so one instance announces it. A reaper (ARGV[5]
 * = 1) backs off if the instance has come back meanwhile.
 */
const RELEASE = `${SUM_SOCKETS}
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('HDEL', KEYS[1], 'c:' .. ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
local status = redis.call('HGET', KEYS[1], 's')
if not status or status == 'offline' or sockets(KEYS[1]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 's', 'offline', 't', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** KEYS: user. Deletes an offline record with no socket left. */
const FORGET = `${SUM_SOCKETS}
if redis.call('HGET', KEYS[1], 's') == 'offline' and sockets(KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * KEYS: instance key, instances hash. ARGV: instanceId, ttl ms, now. Refreshes the heartbeat; returns
 * 0 when the key had gone (first beat, presumed dead, or Redis lost its data): the caller resyncs.
 */
const HEARTBEAT = `
local alive = redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2], 'XX')
if not alive then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if alive then return 1 end
return 0
`;

/** KEYS: instance key, instances hash, members. ARGV: instanceId. Forgets a dead, swept instance. */
const BURY = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

type PresenceRedis = Redis & {
  presenceSetCount(...args: (string | number)[]): Promise<[number, number]>;
  presenceSetStatus(...args: (string | number)[]): Promise<number>;
  presenceRelease(...args: (string | number)[]): Promise<number>;
  presenceForget(...args: (string | number)[]): Promise<number>;
  presenceHeartbeat(...args: (string | number)[]): Promise<number>;
  presenceBury(...args: (string | number)[]): Promise<number>;
};

export interface RedisPresenceOptions {
  /** Heartbeat TTL; heartbeats and sweeps run every third of it. */
  instanceTtlMs: number;
}

/**
 * Presence shared by every instance through Redis. This instance's own socket counts are also kept
 * in memory: they are the truth Redis is resynced from after Redis was unreachable or this instance
 * was presumed dead, and what presence falls back to while Redis is down (users connected here are
 * online, everyone else reads as offline with lastSeen from the database).
 */
@Injectable()
export class RedisPresenceStore implements PresenceStore, OnModuleInit, OnApplicationShutdown {
  readonly shared = true;
  private readonly logger = new Logger('Presence');
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly local = new Map<string, number>();
  private readonly redis: PresenceRedis;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Set when a write could not reach Redis: the next heartbeat resyncs everything. */
  private dirty = false;
  private warned = false;

  constructor(
    redis: Redis,
    private readonly options: RedisPresenceOptions,
    private readonly events: EventEmitter2,
  ) {
    this.redis = redis as PresenceRedis;
    this.intervalMs = Math.max(500, Math.floor(options.instanceTtlMs / 3));
    const define = (name: string, numberOfKeys: number, lua: string) => {
      if (!(name in this.redis)) {
        this.redis.defineCommand(name, { numberOfKeys, lua });
      }
    };
    define('presenceSetCount', 2, SET_COUNT);
    define('presenceSetStatus', 1, SET_STATUS);
    define('presenceRelease', 3, RELEASE);
    define('presenceForget', 1, FORGET);
    define('presenceHeartbeat', 2, HEARTBEAT);
    define('presenceBury', 3, BURY);
  }

  onModuleInit(): void {
    this.redis.on('ready', this.onRedisReady);
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.off('ready', this.onRedisReady);
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.ticking;
    // A goodbye: the other instances sweep whatever is left of ours at their next tick.
    if (this.ready()) {
      await this.redis.del(KEYS.instance(this.instanceId)).catch(() => undefined);
    }
  }

  async addSocket(userId: string, at: Date): Promise<{ sockets: number; wasOffline: boolean }> {
    const count = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, count);
    const result = await this.write(() => this.setCount(userId, count, at, false));
    if (!result) {
      return { sockets: count, wasOffline: false };
    }
    return { sockets: result[0], wasOffline: result[1] === 1 };
  }

  async removeSocket(userId: string, at: Date): Promise<number> {
    const count = Math.max(0, (this.local.get(userId) ?? 0) - 1);
    if (count > 0) {
      this.local.set(userId, count);
    } else {
      this.local.delete(userId);
    }
    const result = await this.write(() => this.setCount(userId, count, at, true));
    return result ? result[0] : count;
  }

  async setStatus(userId: string, status: 'online' | 'away'): Promise<boolean> {
    const changed = await this.write(() => this.redis.presenceSetStatus(KEYS.user(userId), status));
    return changed === 1;
  }

  async markOffline(userId: string, at: Date): Promise<boolean> {
    if ((this.local.get(userId) ?? 0) > 0) {
      return false;
    }
    const flipped = await this.write(() => this.release(this.instanceId, userId, at, false));
    return flipped === true;
  }

  async get(userIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const result = new Map<string, PresenceRecord>();
    if (!userIds.length) {
      return result;
    }
    if (this.ready()) {
      try {
        const pipeline = this.redis.pipeline();
        for (const id of userIds) {
          pipeline.hgetall(KEYS.user(id));
        }
        const replies = (await pipeline.exec()) ?? [];
        userIds.forEach((id, index) => {
          const [error, hash] = replies[index] ?? [];
          if (error) {
            throw error;
          }
          const record = parseRecord(hash as Record<string, string>);
          if (record) {
            result.set(id, record);
          }
        });
        return result;
      } catch (error) {
        this.warnOnce(error);
        result.clear();
      }
    }
    // Degraded: what this instance sees.
    for (const id of userIds) {
      const count = this.local.get(id);
      if (count) {
        result.set(id, { sockets: count, status: 'online', lastSeen: new Date() });
      }
    }
    return result;
  }

  async forget(userId: string): Promise<void> {
    await this.write(() => this.redis.presenceForget(KEYS.user(userId)));
  }

  /** One heartbeat, then one sweep for dead instances. Never overlaps itself. */
  tick(): Promise<void> {
    if (this.ticking) {
      return this.ticking;
    }
    const run = async () => {
      try {
        if (!this.ready()) {
          this.dirty = true;
          return;
        }
        const alive = await this.redis.presenceHeartbeat(
          KEYS.instance(this.instanceId),
          KEYS.instances,
          this.instanceId,
          this.options.instanceTtlMs,
          Date.now(),
        );
        if (alive === 0 || this.dirty) {
          this.dirty = false;
          await this.resync();
        }
        await this.sweep();
        this.warned = false;
      } catch (error) {
        this.dirty = true;
        this.warnOnce(error);
      }
    };
    // Cleared in a callback, never synchronously: a tick that returns at once must not leave a
    // settled promise behind that blocks every later tick.
    this.ticking = run().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private readonly onRedisReady = () => {
    this.dirty = true;
    void this.tick();
  };

  /**
   * Writes this instance's counts as they are here; users this instance counted in Redis but no
   * longer holds are released (and announced if that made them offline).
   */
  private async resync(): Promise<void> {
    const now = new Date();
    const cameBack: string[] = [];
    for (const [userId, count] of this.local) {
      const [, became] = await this.setCount(userId, count, now, false);
      if (became === 1) {
        cameBack.push(userId);
      }
    }
    for (const userId of cameBack) {
      this.events.emit(PRESENCE_EVENTS.changed, {
        userId,
        status: 'online',
        lastSeen: now,
      } satisfies PresenceChangedEvent);
    }
    const counted = await this.redis.smembers(KEYS.members(this.instanceId));
    const gone: { userId: string; at: Date }[] = [];
    for (const userId of counted) {
      if (!this.local.has(userId) && (await this.release(this.instanceId, userId, now, false))) {
        gone.push({ userId, at: now });
      }
    }
    await this.announce(gone);
  }

  /** Finds instances whose heartbeat expired and releases every user they counted. */
  private async sweep(): Promise<void> {
    const instances = await this.redis.hgetall(KEYS.instances);
    const others = Object.keys(instances).filter((id) => id !== this.instanceId);
    if (!others.length) {
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const id of others) {
      pipeline.exists(KEYS.instance(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    const dead = others.filter((_, index) => replies[index]?.[1] === 0);
    for (const id of dead) {
      const lastBeat = new Date(Number(instances[id]) || Date.now());
      const users = await this.redis.smembers(KEYS.members(id));
      const gone: { userId: string; at: Date }[] = [];
      for (const userId of users) {
        if (await this.release(id, userId, lastBeat, true)) {
          gone.push({ userId, at: lastBeat });
        }
      }
      await this.redis.presenceBury(KEYS.instance(id), KEYS.instances, KEYS.members(id), id);
      if (users.length) {
        this.logger.log(
          `Instance ${id} stopped heartbeating: released ${users.length} user(s), ${gone.length} now offline`,
        );
      }
      await this.announce(gone);
    }
  }

  private async announce(users: { userId: string; at: Date }[]): Promise<void> {
    await announceOffline({ events: this.events, store: this, logger: this.logger }, users);
  }

  private setCount(
    userId: string,
    count: number,
    at: Date,
    onlyIfKnown: boolean,
  ): Promise<[number, number]> {
    return this.redis.presenceSetCount(
      KEYS.user(userId),
      KEYS.members(this.instanceId),
      this.instanceId,
      count,
      at.getTime(),
      userId,
      onlyIfKnown ? '1' : '0',
    );
  }

  private async release(
    instanceId: string,
    userId: string,
    at: Date,
    reaping: boolean,
  ): Promise<boolean> {
    const flipped = await this.redis.presenceRelease(
      KEYS.user(userId),
      KEYS.members(instanceId),
      KEYS.instance(instanceId),
      instanceId,
      userId,
      at.getTime(),
      OFFLINE_RECORD_TTL_SECONDS,
      reaping ? '1' : '0',
    );
    return flipped === 1;
  }

  /** Runs a Redis write; while Redis is unreachable it is skipped (the next heartbeat resyncs). */
  private async write<T>(operation: () => Promise<T>): Promise<T | null> {
    if (!this.ready()) {
      this.dirty = true;
      return null;
    }
    try {
      return await operation();
    } catch (error) {
      this.dirty = true;
      this.warnOnce(error);
      return null;
    }
  }

  private ready(): boolean {
    return this.redis.status === 'ready';
  }

  private warnOnce(error: unknown): void {
    if (!this.warned) {
      this.warned = true;
      this.logger.warn(
        `Presence in Redis unavailable, degrading to this instance: ${String(error)}`,
      );
    }
  }
}

function parseRecord(hash: Record<string, string> | null | undefined): PresenceRecord | null {
  if (!hash || !hash.s) {
    return null;
  }
  let sockets = 0;
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('c:')) {
      sockets += Number(value) || 0;
    }
  }
  const status = hash.s as PresenceStatus;
  const lastSeen = hash.t ? new Date(Number(hash.t)) : null;
  return { sockets, status, lastSeen };
}
