import type Redis from 'ioredis';
import type { PresenceStatus } from '../../libs/contracts/src';
import type { PresenceRecord } from './presence.store';

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

/**
 * Typed calls of the presence scripts and reads of the layout above: every Redis key and command of
 * presence is here, the store (RedisPresenceStore) holds the state machine around them.
 */
export class PresenceRedisScripts {
  private readonly redis: PresenceRedis;

  constructor(redis: Redis) {
    this.redis = redis as PresenceRedis;
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

  /** Sets `instanceId`'s socket count of the user; returns {total sockets, became online (1/0)}. */
  setCount(
    instanceId: string,
    userId: string,
    count: number,
    at: Date,
    onlyIfKnown: boolean,
  ): Promise<[number, number]> {
    return this.redis.presenceSetCount(
      KEYS.user(userId),
      KEYS.members(instanceId),
      instanceId,
      count,
      at.getTime(),
      userId,
      onlyIfKnown ? '1' : '0',
    );
  }

  /** True when a connected user's status changed. */
  async setStatus(userId: string, status: 'online' | 'away'): Promise<boolean> {
    return (await this.redis.presenceSetStatus(KEYS.user(userId), status)) === 1;
  }

  /** Drops the instance's count of the user; true for the one caller that made them offline. */
  async release(instanceId: string, userId: string, at: Date, reaping: boolean): Promise<boolean> {
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

  async forget(userId: string): Promise<void> {
    await this.redis.presenceForget(KEYS.user(userId));
  }

  /** Refreshes the instance's heartbeat; false when its key had gone (the caller resyncs). */
  async heartbeat(instanceId: string, ttlMs: number, now: number): Promise<boolean> {
    const alive = await this.redis.presenceHeartbeat(
      KEYS.instance(instanceId),
      KEYS.instances,
      instanceId,
      ttlMs,
      now,
    );
    return alive !== 0;
  }

  /** Forgets a dead instance whose users were released. */
  async bury(instanceId: string): Promise<void> {
    await this.redis.presenceBury(
      KEYS.instance(instanceId),
      KEYS.instances,
      KEYS.members(instanceId),
      instanceId,
    );
  }

  /** The goodbye of an instance shutting down: the others sweep its users at their next tick. */
  async dropInstance(instanceId: string): Promise<void> {
    await this.redis.del(KEYS.instance(instanceId));
  }

  /** The users an instance counts. */
  countedBy(instanceId: string): Promise<string[]> {
    return this.redis.smembers(KEYS.members(instanceId));
  }

  /** Every known instance and its last heartbeat (ms, as a string). */
  instances(): Promise<Record<string, string>> {
    return this.redis.hgetall(KEYS.instances);
  }

  /** The instances among `ids` whose heartbeat key expired. */
  async deadAmong(ids: readonly string[]): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.exists(KEYS.instance(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((_, index) => replies[index]?.[1] === 0);
  }

  /** The users' records; users with none are absent. Throws when Redis fails. */
  async records(userIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const result = new Map<string, PresenceRecord>();
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
