/**
 * How many sends a `post_messages` call carried, from its parameters: the first is the new
 * messages' ids as an array literal (`{"id","id"}`, ids hold no comma).
 */
export function postedBatchSize(parameters: readonly unknown[] | undefined): number {
  const ids = parameters?.[0];
  if (typeof ids !== 'string' || !ids.startsWith('{') || !ids.endsWith('}')) {
    throw new Error(`post_messages called without an id array literal: ${String(ids)}`);
  }
  return ids === '{}' ? 0 : ids.slice(1, -1).split(',').length;
}
