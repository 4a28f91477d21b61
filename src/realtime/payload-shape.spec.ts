import { describe, it } from 'node:test';
import { expect } from 'expect';
import { MAX_PAYLOAD_DEPTH, payloadShapeProblem } from './payload-shape';

describe('payloadShapeProblem', () => {
  it('should measure a payload as its JSON size (an upper bound), binary parts by their bytes', () => {
    const payload = {
      recipientID: 'b',
      content: 'é😀',
      n: 12,
      ok: true,
      none: null,
      list: [1, 'x'],
    };
    const json = Buffer.byteLength(JSON.stringify(payload));
    // (one trailing comma per object and array counted: an upper bound within a few bytes)
    expect(payloadShapeProblem([payload], json + 2)).toBeNull();
    expect(payloadShapeProblem([payload], json - 1)).toBe('too_large');
    expect(payloadShapeProblem([{ data: Buffer.alloc(1_000) }], 1_100)).toBeNull();
    expect(payloadShapeProblem([{ data: Buffer.alloc(1_000) }], 900)).toBe('too_large');
  });

  it('should refuse nesting past the limit without recursion, before the size when it comes first', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 100_000; level += 1) {
      deep = { d: deep };
    }
    expect(payloadShapeProblem([deep], 64 * 1024)).toBe('too_deep');
    let limit: unknown = 'x';
    for (let level = 0; level < MAX_PAYLOAD_DEPTH; level += 1) {
      limit = [limit];
    }
    expect(payloadShapeProblem([limit], 64 * 1024)).toBeNull();
    expect(payloadShapeProblem([[limit]], 64 * 1024)).toBe('too_deep');
  });
});
