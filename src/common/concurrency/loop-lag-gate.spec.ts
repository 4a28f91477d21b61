import { describe, it } from 'node:test';
import { expect } from 'expect';
import { performance } from 'node:perf_hooks';
import { LoopLagGate } from './loop-lag-gate';

/** Keeps the event loop busy, as a turn that processes a flood of frames does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

const timerPhases = (count: number) =>
  new Promise<void>((resolve) => {
    let left = count;
    const tick = () => (--left <= 0 ? resolve() : setTimeout(tick, 10));
    setTimeout(tick, 10);
  });

describe('LoopLagGate', () => {
  it('should report lagging while a turn runs past the limit, and recover once timers run on time', async () => {
    const gate = new LoopLagGate(200);
    try {
      await timerPhases(3);
      expect(gate.lagging).toBe(false);
      busyFor(300);
      // Still inside the long turn: the lag is seen as it grows.
      expect(gate.lagging).toBe(true);
      expect(gate.lagMs).toBeGreaterThan(200);
      // The next turns read input that waited through the long one: still shut right after it.
      await timerPhases(1);
      expect(gate.lagging).toBe(true);
      let phases = 0;
      while (gate.lagging && phases < 200) {
        await timerPhases(1);
        phases += 1;
      }
      expect(gate.lagging).toBe(false);
    } finally {
      gate.stop();
    }
  });

  it('should never lag when turned off', () => {
    const gate = new LoopLagGate(0);
    busyFor(30);
    expect(gate.lagging).toBe(false);
    expect(gate.lagMs).toBe(0);
  });
});
