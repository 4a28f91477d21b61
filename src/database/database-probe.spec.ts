import { expect } from 'expect';
import { afterEach, describe, it, mock } from 'node:test';
import type { DataSource } from 'typeorm';
import { DatabaseProbe } from './database-probe';

/** A DataSource whose count queries resolve or fail when the test says so. */
function fakeDatabase() {
  const pending: { resolve: (rows: { count: string }[]) => void; reject: (e: Error) => void }[] =
    [];
  const dataSource = {
    query: () =>
      new Promise<{ count: string }[]>((resolve, reject) => pending.push({ resolve, reject })),
  } as unknown as DataSource;
  return { probe: new DatabaseProbe(dataSource), pending };
}

describe('DatabaseProbe', () => {
  afterEach(() => mock.restoreAll());

  it('should run one count for parallel probes and answer it to all of them', async () => {
    const { probe, pending } = fakeDatabase();
    const answers = Promise.all([probe.countUsers(), probe.countUsers(), probe.countUsers()]);
    expect(pending).toHaveLength(1);
    pending[0].resolve([{ count: '42' }]);
    expect(await answers).toEqual([42, 42, 42]);
  });

  it('should answer a fresh count without querying, and a stale one while it refreshes', async () => {
    const { probe, pending } = fakeDatabase();
    let now = 1_000_000;
    mock.method(Date, 'now', () => now);
    const first = probe.countUsers();
    pending[0].resolve([{ count: '7' }]);
    expect(await first).toBe(7);
    now += 9_000;
    expect(await probe.countUsers()).toBe(7);
    expect(pending).toHaveLength(1);
    now += 2_000;
    // Past the TTL: the old value at once, one refresh behind it.
    expect(await probe.countUsers()).toBe(7);
    expect(pending).toHaveLength(2);
    pending[1].resolve([{ count: '8' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await probe.countUsers()).toBe(8);
    expect(pending).toHaveLength(2);
  });

  it('should keep the last count when a refresh fails and try again at the next probe', async () => {
    const { probe, pending } = fakeDatabase();
    let now = 1_000_000;
    mock.method(Date, 'now', () => now);
    const first = probe.countUsers();
    pending[0].resolve([{ count: '3' }]);
    await first;
    now += 11_000;
    expect(await probe.countUsers()).toBe(3);
    pending[1].reject(new Error('database down'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await probe.countUsers()).toBe(3);
    // The failed refresh left no fill behind: the next probe tries again.
    expect(pending).toHaveLength(3);
  });
});
