import { describe, it } from 'node:test';
import { expect } from 'expect';
import { boundedLru } from './bounded-lru';

describe('boundedLru', () => {
  it('should hold at most max entries, evicting the least recently used one at a time', () => {
    const cache = boundedLru<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
    cache.set('c', 30);
    cache.set('e', 5);
    expect(cache.size).toBe(3);
    expect(cache.has('a')).toBe(false);
    expect(cache.get('c')).toBe(30);
  });

  it('should keep the other options (ttl)', () => {
    let now = 1_000;
    const cache = boundedLru<string, number>(10, {
      ttl: 100,
      ttlResolution: 0,
      perf: { now: () => now },
    });
    cache.set('a', 1);
    now += 99;
    expect(cache.get('a')).toBe(1);
    now += 2;
    expect(cache.get('a')).toBeUndefined();
  });

  it('should allocate nothing for its bound up front', () => {
    const before = process.memoryUsage().arrayBuffers;
    const caches = Array.from({ length: 10 }, () => boundedLru<string, number>(1_000_000));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
    expect(caches.every((cache) => cache.size === 0)).toBe(true);
  });
});
