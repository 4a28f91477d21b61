import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { PresenceStatus } from '../../libs/contracts/src';
import { Semaphore } from '../common/concurrency/semaphore';
import { announceOffline } from './offline-announcer';
import type { PresenceChangedEvent } from './presence.events';
import { PresencePublisher } from './presence-publisher';
import { PRESENCE_STORE, type PresenceStore } from './presence.store';

export interface LivePresence {
  status: PresenceStatus;
  /** Set while the user is connected or was seen recently by this service; null defers to the database. */
  lastSeen: Date | null;
}

/** How long a user stays online after their last socket closes (a quick reconnect does not flap). */
export const DEFAULT_PRESENCE_GRACE_MS = 3_000;

/** Offline transitions (each a lastSeen write) running at once. */
const OFFLINE_CONCURRENCY = 4;

/**
 * Live presence: online while any socket of the user is open, `away` when a client says so, offline
 * a grace period after the last socket closes, when `lastSeen` is written to the database. Changes are
 * published as PRESENCE_EVENTS.changed; the realtime layer tells the user's peers.
 */

@Injectable()
export class PresenceService implements BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  private readonly offlineTimers = new Map<string, NodeJS.Timeout>();
  /** Tests shorten it; everything else uses the default. */
  graceMs = DEFAULT_PRESENCE_GRACE_MS;
  private shuttingDown = false;
  /** Online/away changes go out through a bounded, per-user coalescing queue (reconnect storms). */
  readonly publisher: PresencePublisher;
  /**
   * Users going offline are recorded a few at a time: when every socket drops at once (a restart of
   * a proxy, a network blip) their grace timers all fire together, and thousands of lastSeen writes
   * and fan-outs at once would fill the pool the reconnecting sockets' session checks need. A user
   * who came back while waiting is skipped by markOffline.
   */
  /**
   * Users going offline at once (a storm's grace periods end together): each writes its lastSeen, so
   * few at a time keep the pool free for the connects and sends.
   */
  private readonly offlineGate = new Semaphore(OFFLINE_CONCURRENCY);

  constructor(
    @Inject(PRESENCE_STORE) private readonly store: PresenceStore,
    private readonly events: EventEmitter2,
  ) {
    this.publisher = new PresencePublisher(events, this.logger);
  }

  /** Live state of each user; users this service does not know are offline with lastSeen from the database. */
  async getPresence(userIds: readonly string[]): Promise<Map<string, LivePresence>> {
    const records = await this.store.get(userIds);
    return new Map(
      userIds.map((id) => {
        const record = records.get(id);
        return [
          id,
          record
            ? {
                status: record.status,
                lastSeen: record.status === 'offline' ? record.lastSeen : new Date(),
              }
            : { status: 'offline' as const, lastSeen: null },
        ];
      }),
    );
  }

  /** A socket of the user opened. */
  async socketConnected(userId: string): Promise<void> {
    this.cancelOfflineTimer(userId);
    const now = new Date();
    const { wasOffline } = await this.store.addSocket(userId, now);
    if (wasOffline) {
      this.publish({ userId, status: 'online', lastSeen: now });
    }
  }

  /** A socket of the user closed; the last one starts the grace period. */
  async socketDisconnected(userId: string): Promise<void> {
    const left = await this.store.removeSocket(userId, new Date());
    if (left > 0) {
      return;
    }
    this.cancelOfflineTimer(userId);
    const timer = setTimeout(() => {
      this.offlineTimers.delete(userId);
      void this.offlineGate.run(() => this.goOffline(userId));
    }, this.graceMs);
    timer.unref();
    this.offlineTimers.set(userId, timer);
  }

  /** `set_status`: online or away while connected. */
  async setStatus(userId: string, status: 'online' | 'away'): Promise<PresenceStatus> {
    if (await this.store.setStatus(userId, status)) {
      this.publish({ userId, status, lastSeen: new Date() });
    }
    const [record] = (await this.store.get([userId])).values();
    return record?.status ?? 'offline';
  }

  /** On shutdown every user still in grace goes offline now, so their lastSeen is written. */
  async beforeApplicationShutdown(): Promise<void> {
    // Every socket here is closing. Alone, nobody is left to tell and only lastSeen matters; with a
    // shared store the users' contacts may be connected to other instances and are still told.
    this.shuttingDown = !this.store.shared;
    const pending = [...this.offlineTimers.keys()];
    for (const userId of pending) {
      this.cancelOfflineTimer(userId);
    }
    await Promise.all(pending.map((userId) => this.offlineGate.run(() => this.goOffline(userId))));
  }

  onModuleDestroy(): void {
    for (const timer of this.offlineTimers.values()) {
      clearTimeout(timer);
    }
    this.offlineTimers.clear();
  }

  private async goOffline(userId: string): Promise<void> {
    const at = new Date();
    try {
      if (!(await this.store.markOffline(userId, at))) {
        return;
      }
    } catch (error) {
      this.logger.warn(`Could not record ${userId} going offline: ${String(error)}`);
      return;
    }
    this.publisher.drop(userId);
    // While shutting down alone nobody is left to tell: only lastSeen is written.
    await announceOffline(
      { events: this.events, store: this.store, logger: this.logger, tell: !this.shuttingDown },
      [{ userId, at }],
    );
  }

  private cancelOfflineTimer(userId: string): void {
    const timer = this.offlineTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.offlineTimers.delete(userId);
    }
  }

  private publish(event: PresenceChangedEvent): void {
    if (this.shuttingDown) {
      return;
    }
    this.publisher.publish(event);
  }
}
