import cluster, { type Worker } from 'node:cluster';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { PresenceStatus } from '../../libs/contracts/src';
import type { PresenceRecord, PresenceStore } from './presence.store';
import { announceOffline } from './offline-announcer';

/**
 * Presence for `WORKERS=N` without Redis: the primary holds the one table (per-user socket counts
 * per worker), workers ask it over the cluster IPC channel. When a worker dies the primary drops its
 * counts and hands the users that went offline to a live worker to announce (event + lastSeen).
 */
interface PresenceRequest {
  type: 'presence:req';
  id: number;
  op: 'setCount' | 'setStatus' | 'release' | 'get' | 'forget';
  args: unknown[];
}

interface PresenceReply {
  type: 'presence:res';
  id: number;
  result?: unknown;
  error?: string;
}

interface OfflineNotice {
  type: 'presence:offline';
  users: { userId: string; at: number }[];
}

interface WireRecord {
  sockets: number;
  status: PresenceStatus;
  lastSeen: number | null;
}

interface Entry {
  counts: Map<number, number>;
  status: PresenceStatus;
  lastSeen: number;
}

const total = (entry: Entry): number => {
  let sum = 0;
  for (const count of entry.counts.values()) {
    sum += count;
  }
  return sum;
};

/** The primary's table. Same rules as the Redis scripts (src/presence/redis-presence.scripts.ts). */
export class PresenceTable {
  private readonly entries = new Map<string, Entry>();
  private readonly byWorker = new Map<number, Set<string>>();

  setCount(
    worker: number,
    userId: string,
    count: number,
    at: number,
    onlyIfKnown: boolean,
  ): [number, number] {
    let entry = this.entries.get(userId);
    if (!entry) {
      if (onlyIfKnown) {
        return [0, 0];
      }
      entry = { counts: new Map(), status: 'offline', lastSeen: at };
      this.entries.set(userId, entry);
    }
    if (count > 0) {
      entry.counts.set(worker, count);
      this.membersOf(worker).add(userId);
    } else {
      entry.counts.delete(worker);
    }
    const sockets = total(entry);
    let became = 0;
    if (sockets > 0 && entry.status === 'offline') {
      entry.status = 'online';
      became = 1;
    }
    entry.lastSeen = at;
    return [sockets, became];
  }

  setStatus(userId: string, status: 'online' | 'away'): number {
    const entry = this.entries.get(userId);
    if (!entry || entry.status === status || total(entry) === 0) {
      return 0;
    }
    entry.status = status;
    return 1;
  }

  /** Drops the worker's count; returns 1 when that made the user offline. */
  release(worker: number, userId: string, at: number): number {
    this.byWorker.get(worker)?.delete(userId);
    const entry = this.entries.get(userId);
    if (!entry) {
      return 0;
    }
    entry.counts.delete(worker);
    if (entry.status === 'offline' || total(entry) > 0) {
      return 0;
    }
    entry.status = 'offline';
    entry.lastSeen = at;
    return 1;
  }

  get(userIds: string[]): Record<string, WireRecord> {
    const result: Record<string, WireRecord> = {};
    for (const id of userIds) {
      const entry = this.entries.get(id);
      if (entry) {
        result[id] = { sockets: total(entry), status: entry.status, lastSeen: entry.lastSeen };
      }
    }
    return result;
  }

  forget(userId: string): void {
    const entry = this.entries.get(userId);
    if (entry && entry.status === 'offline' && total(entry) === 0) {
      this.entries.delete(userId);
    }
  }

  /** A worker died: its users with no socket left elsewhere are offline as of now. */
  workerGone(worker: number, at: number): string[] {
    const users = [...(this.byWorker.get(worker) ?? [])];
    this.byWorker.delete(worker);
    return users.filter((userId) => this.release(worker, userId, at) === 1);
  }

  private membersOf(worker: number): Set<string> {
    let set = this.byWorker.get(worker);
    if (!set) {
      set = new Set();
      this.byWorker.set(worker, set);
    }
    return set;
  }
}

/** Primary side: answers the workers' presence requests and reaps workers that exit. */
export function servePresence(logger: Logger): PresenceTable {
  const table = new PresenceTable();
  const pending: { userId: string; at: number }[] = [];
  const deliver = () => {
    if (!pending.length) {
      return;
    }
    const worker = Object.values(cluster.workers ?? {}).find(
      (candidate) => candidate?.isConnected() && readyWorkers.has(candidate.id),
    );
    if (worker) {
      const notice: OfflineNotice = { type: 'presence:offline', users: pending.splice(0) };
      worker.send(notice);
    }
  };
  const readyWorkers = new Set<number>();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isType<{ type: 'app:ready' }>(message, 'app:ready')) {
      readyWorkers.add(worker.id);
      deliver();
      return;
    }
    if (!isType<PresenceRequest>(message, 'presence:req')) {
      return;
    }
    const reply: PresenceReply = { type: 'presence:res', id: message.id };
    try {
      reply.result = handle(table, worker.id, message);
    } catch (error) {
      reply.error = String(error);
    }
    if (worker.isConnected()) {
      worker.send(reply);
    }
  });
  cluster.on('exit', (worker: Worker) => {
    readyWorkers.delete(worker.id);
    const at = Date.now();
    const gone = table.workerGone(worker.id, at);
    if (gone.length) {
      logger.log(`Worker ${worker.id} exited: ${gone.length} user(s) now offline`);
      pending.push(...gone.map((userId) => ({ userId, at })));
      deliver();
    }
  });
  return table;
}

function handle(table: PresenceTable, worker: number, request: PresenceRequest): unknown {
  const a = request.args;
  switch (request.op) {
    case 'setCount':
      return table.setCount(worker, a[0] as string, a[1] as number, a[2] as number, !!a[3]);
    case 'setStatus':
      return table.setStatus(a[0] as string, a[1] as 'online' | 'away');
    case 'release':
      return table.release(worker, a[0] as string, a[1] as number);
    case 'get':
      return table.get(a[0] as string[]);
    case 'forget':
      table.forget(a[0] as string);
      return null;
  }
}

function isType<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
  );
}

/** How long a worker waits for the primary before treating presence as unavailable. */
const REQUEST_TIMEOUT_MS = 5_000;

/** Worker side: the PresenceStore backed by the primary's table. */
@Injectable()
export class ClusterPresenceStore implements PresenceStore, OnApplicationShutdown {
  readonly shared = true;
  private readonly logger = new Logger('Presence');
  private readonly local = new Map<string, number>();
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;

  constructor(private readonly events: EventEmitter2) {
    process.on('message', this.onMessage);
  }

  onApplicationShutdown(): void {
    process.off('message', this.onMessage);
  }

  async addSocket(userId: string, at: Date): Promise<{ sockets: number; wasOffline: boolean }> {
    const count = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, count);
    const [sockets, became] = await this.request<[number, number]>('setCount', [
      userId,
      count,
      at.getTime(),
      false,
    ]);
    return { sockets, wasOffline: became === 1 };
  }

  async removeSocket(userId: string, at: Date): Promise<number> {
    const count = Math.max(0, (this.local.get(userId) ?? 0) - 1);
    if (count > 0) {
      this.local.set(userId, count);
    } else {
      this.local.delete(userId);
    }
    const [sockets] = await this.request<[number, number]>('setCount', [
      userId,
      count,
      at.getTime(),
      true,
    ]);
    return sockets;
  }

  async setStatus(userId: string, status: 'online' | 'away'): Promise<boolean> {
    return (await this.request<number>('setStatus', [userId, status])) === 1;
  }

  async markOffline(userId: string, at: Date): Promise<boolean> {
    if ((this.local.get(userId) ?? 0) > 0) {
      return false;
    }
    return (await this.request<number>('release', [userId, at.getTime()])) === 1;
  }

  async get(userIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const records = await this.request<Record<string, WireRecord>>('get', [[...userIds]]);
    return new Map(
      Object.entries(records).map(([id, record]) => [
        id,
        {
          sockets: record.sockets,
          status: record.status,
          lastSeen: record.lastSeen === null ? null : new Date(record.lastSeen),
        },
      ]),
    );
  }

  async forget(userId: string): Promise<void> {
    await this.request('forget', [userId]);
  }

  private request<T>(op: PresenceRequest['op'], args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`presence ${op}: no answer from the primary`));
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const request: PresenceRequest = { type: 'presence:req', id, op, args };
      process.send?.(request);
    });
  }

  private readonly onMessage = (message: unknown) => {
    if (isType<PresenceReply>(message, 'presence:res')) {
      const waiter = this.waiting.get(message.id);
      if (waiter) {
        this.waiting.delete(message.id);
        if (message.error) {
          waiter.reject(new Error(message.error));
        } else {
          waiter.resolve(message.result);
        }
      }
    } else if (isType<OfflineNotice>(message, 'presence:offline')) {
      void announceOffline(
        { events: this.events, store: this, logger: this.logger },
        message.users.map(({ userId, at }) => ({ userId, at: new Date(at) })),
      );
    }
  };
}
