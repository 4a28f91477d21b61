import { Injectable } from '@nestjs/common';
import type { PresenceStatus } from '../../libs/contracts/src';

export interface PresenceRecord {
  /** Open sockets of the user (all devices, all instances). */
  sockets: number;
  status: PresenceStatus;
  /** When the user was last connected; null while unknown here (the database has it). */
  lastSeen: Date | null;
}

/**
 * Where presence lives. In-process by default; the scale-out work swaps in a Redis implementation
 * (counts via HINCRBY, status in a hash) so every instance sees the same state. Grace timers stay
 * per instance: the instance whose socket closed last runs them, and `markOffline` re-checks the
 * shared count.
 */
export interface PresenceStore {
  /**
   * True when other processes read this state (Redis, the cluster primary): their users' contacts
   * may sit on another instance and must still be told when this one shuts down.
   */
  readonly shared: boolean;
  /** Counts one more socket; `wasOffline` is true when this made the user online. */
  addSocket(userId: string, at: Date): Promise<{ sockets: number; wasOffline: boolean }>;
  /** Counts one socket less; returns the sockets left. */
  removeSocket(userId: string, at: Date): Promise<number>;
  /** Sets online/away for a connected user; returns whether it changed. */
  setStatus(userId: string, status: 'online' | 'away'): Promise<boolean>;
  /** Marks the user offline if no socket came back; returns whether it did. */
  markOffline(userId: string, at: Date): Promise<boolean>;
  get(userIds: readonly string[]): Promise<Map<string, PresenceRecord>>;
  /** Drops an offline record once its lastSeen is in the database. */
  forget(userId: string): Promise<void>;
}

export const PRESENCE_STORE = Symbol('PRESENCE_STORE');

@Injectable()
export class InMemoryPresenceStore implements PresenceStore {
  readonly shared = false;
  private readonly records = new Map<string, PresenceRecord>();

  // eslint-disable-next-line @typescript-eslint/require-await
  async addSocket(userId: string, at: Date): Promise<{ sockets: number; wasOffline: boolean }> {
    const record = this.records.get(userId);
    if (!record) {
      this.records.set(userId, { sockets: 1, status: 'online', lastSeen: at });
      return { sockets: 1, wasOffline: true };
    }
    record.sockets += 1;
    record.lastSeen = at;
    const wasOffline = record.status === 'offline';
    if (wasOffline) {
      record.status = 'online';
    }
    return { sockets: record.sockets, wasOffline };
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async removeSocket(userId: string, at: Date): Promise<number> {
    const record = this.records.get(userId);
    if (!record) {
      return 0;
    }
    record.sockets = Math.max(0, record.sockets - 1);
    record.lastSeen = at;
    return record.sockets;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async setStatus(userId: string, status: 'online' | 'away'): Promise<boolean> {
    const record = this.records.get(userId);
    if (!record || record.sockets === 0 || record.status === status) {
      return false;
    }
    record.status = status;
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async markOffline(userId: string, at: Date): Promise<boolean> {
    const record = this.records.get(userId);
    if (!record || record.sockets > 0 || record.status === 'offline') {
      return false;
    }
    record.status = 'offline';
    record.lastSeen = at;
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async get(userIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const result = new Map<string, PresenceRecord>();
    for (const id of userIds) {
      const record = this.records.get(id);
      if (record) {
        result.set(id, { ...record });
      }
    }
    return result;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async forget(userId: string): Promise<void> {
    const record = this.records.get(userId);
    if (record && record.sockets === 0 && record.status === 'offline') {
      this.records.delete(userId);
    }
  }
}
