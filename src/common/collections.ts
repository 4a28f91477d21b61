/** Groups `items` into lists by `keyOf`, keeping their order; each item becomes `valueOf(item)`. */
export function groupBy<T, K, V>(
  items: Iterable<T>,
  keyOf: (item: T) => K,
  valueOf: (item: T) => V,
): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) {
      list.push(valueOf(item));
    } else {
      groups.set(key, [valueOf(item)]);
    }
  }
  return groups;
}
