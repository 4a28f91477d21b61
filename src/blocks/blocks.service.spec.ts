import { expect } from 'expect';
import { describe, it } from 'node:test';
import type { UsersService } from '../users/users.service';
import type { BlocksRepository } from './blocks.repository';
import { BlocksService } from './blocks.service';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A repository whose pair lookups wait until released, counting each query. */
function newTestService() {
  const blocked = new Set<string>();
  const pending: (() => void)[] = [];
  let pairQueries = 0;
  let setQueries = 0;
  const repository = {
    insert: (a: string, b: string) => {
      blocked.add(`${a}>${b}`);
      return Promise.resolve();
    },
    delete: (a: string, b: string) => {
      blocked.delete(`${a}>${b}`);
      return Promise.resolve();
    },
    blockedIds: () => Promise.resolve([]),
    blockedIdsOf: (ids: string[]) => {
      setQueries += 1;
      const sets = new Map<string, string[]>();
      for (const key of blocked) {
        const [blocker, target] = key.split('>');
        if (ids.includes(blocker)) {
          sets.set(blocker, [...(sets.get(blocker) ?? []), target]);
        }
      }
      return Promise.resolve(sets);
    },
    blockedPairs: (pairs: string[]) => {
      pairQueries += 1;
      // Answered as of when the query runs, delivered when released.
      const answer = new Map<string, boolean>();
      for (const pair of pairs) {
        const [a, b] = pair.split(':');
        if (blocked.has(`${a}>${b}`) || blocked.has(`${b}>${a}`)) {
          answer.set(pair, true);
        }
      }
      return new Promise<Map<string, boolean>>((resolve) => pending.push(() => resolve(answer)));
    },
  } as unknown as BlocksRepository;
  const users = { findById: (id: string) => Promise.resolve({ id }) } as unknown as UsersService;
  const release = () => pending.splice(0).forEach((resolve) => resolve());
  return {
    service: new BlocksService(repository, users),
    release,
    queries: () => pairQueries,
    setQueries: () => setQueries,
  };
}

describe('BlocksService', () => {
  it('should answer concurrent checks of one pair with one query', async () => {
    const { service, release, queries } = newTestService();
    const checks = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? service.blockedEitherWay('a', 'b') : service.blockedEitherWay('b', 'a'),
    );
    await nextTurn();
    // Asked while the query runs: shares it.
    checks.push(service.blockedEitherWay('a', 'b'));
    release();
    expect(await Promise.all(checks)).toEqual(Array(21).fill(false));
    expect(queries()).toBe(1);
    expect(await service.blockedEitherWay('a', 'b')).toBe(false);
    expect(queries()).toBe(1);
  });

  it('should neither share nor cache a lookup that started before a block', async () => {
    const { service, release, queries } = newTestService();
    const before = service.blockedEitherWay('a', 'b');
    await nextTurn();
    await service.block('a', 'b');
    const after = service.blockedEitherWay('a', 'b');
    await nextTurn();
    release();
    expect(await before).toBe(false);
    expect(await after).toBe(true);
    expect(queries()).toBe(2);
    const cached = service.blockedEitherWay('b', 'a');
    expect(await cached).toBe(true);
    expect(queries()).toBe(2);
  });

  it('should check the pairs missed in one turn with one query, each pair getting its own answer', async () => {
    const { service, release, queries } = newTestService();
    await service.block('c', 'a');
    const checks = Promise.all([
      service.blockedEitherWay('a', 'b'),
      service.blockedEitherWay('a', 'c'),
      service.blockedEitherWay('d', 'b'),
    ]);
    await nextTurn();
    release();
    expect(await checks).toEqual([false, true, false]);
    expect(queries()).toBe(1);
  });

  it('should read the blocked sets missed in one turn together, each user getting their own', async () => {
    const { service, setQueries } = newTestService();
    await service.block('a', 'x');
    await service.block('b', 'y');
    const sets = await Promise.all(['a', 'b', 'c'].map((id) => service.blockedBy(id)));
    expect(sets.map((set) => [...set])).toEqual([['x'], ['y'], []]);
    expect(setQueries()).toBe(1);
  });
});
