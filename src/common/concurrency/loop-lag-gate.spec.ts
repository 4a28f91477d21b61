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

/** Lets the timers phase run once (the gate's timer fires when due). */
const timerPhase = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('LoopLagGate', () => {
  it('should let one long turn pass, shut after several in a row, and reopen once timers run on time', async () => {
    const gate = new LoopLagGate(200);
    try {
      await timerPhase();
      busyFor(600);
      await timerPhase();
      // One long turn (start-up, a collection) refuses nothing.
      expect(gate.lagging).toBe(false);
      for (let turn = 0; turn < 4; turn += 1) {
        busyFor(600);
        await timerPhase();
      }
      expect(gate.lagging).toBe(true);
      expect(gate.lagMs).toBeGreaterThan(200);
      let phases = 0;
      while (gate.lagging && phases < 200) {
        await timerPhase();
        phases += 1;
      }
      expect(gate.lagging).toBe(false);
    } finally {
      gate.stop();
    }
  });

  it('should see the current turn run late before the smoothed lag does', async () => {
    const gate = new LoopLagGate(200);
    try {
      await timerPhase();
      busyFor(300);
      // Still in the long turn: the timer has not run, the smoothed lag is unchanged.
      expect(gate.currentLagMs).toBeGreaterThan(250);
      expect(gate.lagging).toBe(false);
      await timerPhase();
      expect(gate.currentLagMs).toBeLessThan(100);
    } finally {
      gate.stop();
    }
  });

  it('should never lag when turned off', async () => {
    const gate = new LoopLagGate(0);
    for (let turn = 0; turn < 3; turn += 1) {
      busyFor(50);
      await timerPhase();
    }
    expect(gate.lagging).toBe(false);
    expect(gate.lagMs).toBe(0);
  });
});
