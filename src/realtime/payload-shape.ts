/** Deepest nesting of objects and arrays a client payload may have (the contract's deepest is 3). */
export const MAX_PAYLOAD_DEPTH = 32;

export type PayloadShapeProblem = 'too_deep' | 'too_large';

/**
 * Measures a decoded event payload without recursion: its size as JSON (binary parts by their byte
 * length) and its nesting depth, stopping as soon as either limit is passed. A recursive measure
 * (JSON.stringify included) overflows the stack on a small but deeply nested payload, and that
 * overflow, thrown inside Socket.IO's packet middleware, used to take the whole process down.
 */
export function payloadShapeProblem(
  args: readonly unknown[],
  maxBytes: number,
  maxDepth = MAX_PAYLOAD_DEPTH,
): PayloadShapeProblem | null {
  let bytes = 0;
  // Two parallel stacks rather than one object per node: this runs on every client event.
  const values: unknown[] = [];
  const depths: number[] = [];
  for (const arg of args) {
    if (typeof arg !== 'function' && arg !== undefined) {
      values.push(arg);
      depths.push(0);
    }
  }
  while (values.length) {
    const value = values.pop();
    const depth = depths.pop() as number;
    if (typeof value === 'string') {
      bytes += Buffer.byteLength(value) + 2;
    } else if (value === null || typeof value !== 'object') {
      bytes += typeof value === 'number' || typeof value === 'boolean' ? String(value).length : 4;
    } else if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
      bytes += value.byteLength;
    } else if (value instanceof ArrayBuffer) {
      bytes += value.byteLength;
    } else {
      if (depth >= maxDepth) {
        return 'too_deep';
      }
      bytes += 2;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          bytes += 1;
          values.push(item);
          depths.push(depth + 1);
        }
      } else {
        const object = value as Record<string, unknown>;
        for (const key of Object.keys(object)) {
          bytes += Buffer.byteLength(key) + 4;
          values.push(object[key]);
          depths.push(depth + 1);
        }
      }
    }
    if (bytes > maxBytes) {
      return 'too_large';
    }
  }
  return null;
}
