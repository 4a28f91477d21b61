import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import { PRESENCE_EVENTS, type PresenceChangedEvent } from './presence.events';
import { announceOffline } from './offline-announcer';
import type { PresenceRecord, PresenceStore } from './presence.store';
import { PresenceRedisScripts } from './redis-presence.scripts';

export interface RedisPresenceOptions {
  /** Heartbeat TTL; heartbeats and sweeps run every third of it. */
  instanceTtlMs: number;
}

/**
 * Presence shared by every instance through Redis. This instance's own socket counts are also kept
 * in memory: they are the truth Redis is resynced from after Redis was unreachable or this instance
 * was presumed dead, and what presence falls back to while Redis is down (users connected here are
 * online, everyone else reads as offline with lastSeen from the database). The Redis layout and the
 * atomic scripts are in redis-presence.scripts.ts; this class holds the heartbeat, resync and sweep.
 */
@Injectable()
export class RedisPresenceStore implements PresenceStore, OnModuleInit, OnApplicationShutdown {
  readonly shared = true;
  private readonly logger = new Logger('Presence');
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly local = new Map<string, number>();
  private readonly scripts: PresenceRedisScripts;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Set when a write could not reach Redis: the next heartbeat resyncs everything. */
  private dirty = false;
  private warned = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisPresenceOptions,
    private readonly events: EventEmitter2,
  ) {
    this.scripts = new PresenceRedisScripts(redis);
    this.intervalMs = Math.max(500, Math.floor(options.instanceTtlMs / 3));
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
      await this.scripts.dropInstance(this.instanceId).catch(() => undefined);
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
    const changed = await this.write(() => this.scripts.setStatus(userId, status));
    return changed === true;
  }

  async markOffline(userId: string, at: Date): Promise<boolean> {
    if ((this.local.get(userId) ?? 0) > 0) {
      return false;
    }
    const flipped = await this.write(() =>
      this.scripts.release(this.instanceId, userId, at, false),
    );
    return flipped === true;
  }

  async get(userIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const result = new Map<string, PresenceRecord>();
    if (!userIds.length) {
      return result;
    }
    if (this.ready()) {
      try {
        return await this.scripts.records(userIds);
      } catch (error) {
        this.warnOnce(error);
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
    await this.write(() => this.scripts.forget(userId));
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
        const alive = await this.scripts.heartbeat(
          this.instanceId,
          this.options.instanceTtlMs,
          Date.now(),
        );
        if (!alive || this.dirty) {
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
    const counted = await this.scripts.countedBy(this.instanceId);
    const gone: { userId: string; at: Date }[] = [];
    for (const userId of counted) {
      if (
        !this.local.has(userId) &&
        (await this.scripts.release(this.instanceId, userId, now, false))
      ) {
        gone.push({ userId, at: now });
      }
    }
    await this.announce(gone);
  }

  /** Finds instances whose heartbeat expired and releases every user they counted. */
  private async sweep(): Promise<void> {
    const instances = await this.scripts.instances();
    const others = Object.keys(instances).filter((id) => id !== this.instanceId);
    if (!others.length) {
      return;
    }
    for (const id of await this.scripts.deadAmong(others)) {
      const lastBeat = new Date(Number(instances[id]) || Date.now());
      const users = await this.scripts.countedBy(id);
      const gone: { userId: string; at: Date }[] = [];
      for (const userId of users) {
        if (await this.scripts.release(id, userId, lastBeat, true)) {
          gone.push({ userId, at: lastBeat });
        }
      }
      await this.scripts.bury(id);
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
    return this.scripts.setCount(this.instanceId, userId, count, at, onlyIfKnown);
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
