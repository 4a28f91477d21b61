import { describe, it } from 'node:test';
import { expect } from 'expect';
import { TickBatcher } from './tick-batcher';

function recording(joinInFlight: boolean, maxBatch = 100) {
  const loads: string[][] = [];
  let release: () => void = () => undefined;
  let gate: Promise<void> | null = null;
  const batcher = new TickBatcher<string, number>(
    async (keys) => {
      loads.push([...keys]);
      if (gate) {
        await gate;
      }
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    },
    { maxBatch, fallback: -1, joinInFlight },
  );
  return {
    batcher,
    loads,
    hold: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}

describe('TickBatcher', () => {
  it('should answer every key asked in one turn with one load, each key loaded once', async () => {
    const { batcher, loads } = recording(true);
    const answers = await Promise.all(['a', 'bb', 'a', 'missing'].map((k) => batcher.get(k)));
    expect(answers).toEqual([1, 2, 1, -1]);
    expect(loads).toEqual([['a', 'bb', 'missing']]);
    expect(batcher.loads).toBe(1);
  });

  it('should split a turn into loads of at most maxBatch keys', async () => {
    const { batcher, loads } = recording(true, 2);
    await Promise.all(['a', 'b', 'c'].map((k) => batcher.get(k)));
    expect(loads).toEqual([['a', 'b'], ['c']]);
  });

  it('should share a running load when joinInFlight, and start a new one after forget or when not', async () => {
    const joining = recording(true);
    joining.hold();
    const first = joining.batcher.get('a');
    await new Promise((resolve) => setImmediate(resolve));
    const shared = joining.batcher.get('a');
    joining.batcher.forget('a');
    const fresh = joining.batcher.get('a');
    joining.release();
    await Promise.all([first, shared, fresh]);
    expect(joining.loads).toEqual([['a'], ['a']]);

    const strict = recording(false);
    strict.hold();
    const one = strict.batcher.get('a');
    await new Promise((resolve) => setImmediate(resolve));
    const two = strict.batcher.get('a');
    strict.release();
    await Promise.all([one, two]);
    expect(strict.loads).toEqual([['a'], ['a']]);
  });

  it('should reject every caller of a failed load', async () => {
    const batcher = new TickBatcher<string, number>(() => Promise.reject(new Error('down')), {
      maxBatch: 10,
      fallback: 0,
      joinInFlight: true,
    });
    const results = await Promise.allSettled([batcher.get('a'), batcher.get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
