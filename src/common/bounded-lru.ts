import { LRUCache } from 'lru-cache';

/** What a bounded LRU may also be given (its bound is the `max` argument). */
export type BoundedLruOptions<
  K extends NonNullable<unknown>,
  V extends NonNullable<unknown>,
> = Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'>;

/**
 * A least-recently-used cache of at most `max` entries whose memory follows what it holds.
 *
 * lru-cache given `max` allocates its index for `max` entries up front: for the 200,000 of a
 * conversation cache, about 5.6 MB and 23 ms, on the boot path and resident from the first second
 * whether used or not (the server's nine cost 0.2-0.4 s of every start and 33 MB of RSS). Bounded by
 * size instead, one unit per entry, it grows as entries come, and past `max` it still evicts the
 * least recently used entry, one at a time.
 */
export function boundedLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  max: number,
  options: BoundedLruOptions<K, V> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: max, sizeCalculation: () => 1 });
}
