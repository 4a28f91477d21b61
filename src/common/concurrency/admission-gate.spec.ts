import { describe, it } from 'node:test';
import { expect } from 'expect';
import { AdmissionGate, type AdmissionGateOptions, type LoopLag } from './admission-gate';

/** A loop whose lateness the test sets, and a clock it moves. */
function newGate(options: Partial<AdmissionGateOptions> = {}) {
  const lag = {
    lagMs: 0,
    lagging: false,
    latestLagMs: 0,
    currentLagMs: 0,
    stop: () => undefined,
  };
  /** Late turn after turn by `ms`: smoothed and newest sample alike. */
  const setLag = (ms: number, limitMs = options.lagLimitMs ?? 100) => {
    lag.lagMs = ms;
    lag.latestLagMs = ms;
    lag.lagging = ms > limitMs;
  };
  const clock = { now: 0 };
  let draws = 0;
  const gate = new AdmissionGate({
    lagLimitMs: 100,
    maxInFlight: 3,
    lag: lag satisfies LoopLag,
    now: () => clock.now,
    random: () => [0, 0.5, 0.999][draws++ % 3],
    ...options,
  });
  return { gate, lag, setLag, clock };
}

describe('AdmissionGate', () => {
  it('should admit up to maxInFlight at once, refuse the next as in_flight, and admit again after a leave', () => {
    const { gate } = newGate();
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([null, null, null]);
    expect(gate.inFlight).toBe(3);
    expect(gate.tryEnter()).toMatchObject({ reason: 'in_flight' });
    expect(gate.inFlight).toBe(3);
    gate.leave();
    expect(gate.tryEnter()).toBeNull();
  });

  it('should refuse while the loop is late and admit once it is on time, whatever is in flight', () => {
    const { gate, setLag } = newGate({ maxInFlight: 0 });
    setLag(150);
    expect(gate.tryEnter()).toMatchObject({ reason: 'event_loop_lag' });
    expect(gate.inFlight).toBe(0);
    setLag(90);
    for (let i = 0; i < 50; i += 1) {
      expect(gate.tryEnter()).toBeNull();
    }
  });

  it('should admit on time again after one long turn, though the smoothed lag is still high', () => {
    const { gate, lag } = newGate({ maxInFlight: 0 });
    // One turn of 1 s (start-up, a collection), then the loop is on time.
    Object.assign(lag, { lagMs: 300, lagging: true, latestLagMs: 0, currentLagMs: 0 });
    expect(gate.tryEnter()).toBeNull();
    // Late turn after turn, and this turn too has run long already: refused.
    Object.assign(lag, { currentLagMs: 180 });
    expect(gate.tryEnter()).toMatchObject({ reason: 'event_loop_lag' });
    Object.assign(lag, { currentLagMs: 0, latestLagMs: 150 });
    expect(gate.tryEnter()).toMatchObject({ reason: 'event_loop_lag' });
  });

  it('should count an entered set-up phase against maxInFlight without refusing it', () => {
    const { gate } = newGate({ maxInFlight: 1 });
    expect(gate.tryEnter()).toBeNull();
    gate.leave();
    gate.enter();
    expect(gate.tryEnter()).toMatchObject({ reason: 'in_flight' });
    gate.leave();
    expect(gate.tryEnter()).toBeNull();
  });

  it('should spread retry hints over 25-100 % of a window scaled by how late the loop is', () => {
    const { gate, setLag } = newGate({ maxInFlight: 0, baseRetryMs: 1_000, maxRetryMs: 10_000 });
    setLag(120); // 1.2 x the limit: a 1.2 s window
    const hints = [gate.tryEnter(), gate.tryEnter(), gate.tryEnter()].map((r) => r?.retryAfterMs);
    // random 0, 0.5, 0.999 -> 25 %, 62.5 %, ~100 % of the window; the crowd (1, 2, then 3 refused
    // and none admitted) widens the second and third windows to 2 and 3 s.
    expect(hints[0]).toBe(Math.round(1_200 * 0.25));
    expect(new Set(hints).size).toBe(3);
    setLag(400); // 4 x late
    const late = gate.tryEnter();
    expect(late?.retryAfterMs).toBe(1_000); // the 4 s window x 25 %
  });

  it('should widen the window as refusals outnumber admissions, up to maxRetryMs, and narrow it as they decay', () => {
    const { gate, clock } = newGate({ maxInFlight: 1, baseRetryMs: 1_000, maxRetryMs: 8_000 });
    expect(gate.tryEnter()).toBeNull(); // one admitted, then it stays in flight
    const windows: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const refusal = gate.tryEnter();
      expect(refusal?.reason).toBe('in_flight');
      // random cycles 0, 0.5, 0.999: recover the window from the 25 % draws
      if (i % 3 === 0) {
        windows.push(refusal!.retryAfterMs / 0.25);
      }
    }
    // 1, 4, 7, 10 refused per admitted: 1, 4, 7 s, then capped at 8 s.
    expect(windows.slice(0, 4)).toEqual([1_000, 4_000, 7_000, 8_000]);
    expect(Math.max(...windows)).toBe(8_000);
    // Ten seconds later both counts have decayed by 2^10: new admissions outweigh the old refusals.
    gate.leave();
    clock.now += 10_000;
    expect(gate.tryEnter()).toBeNull();
    const next = gate.tryEnter();
    expect(next?.retryAfterMs).toBeLessThan(2_000 * 0.25);
  });

  it('should never refuse when both bounds are off', () => {
    const { gate, setLag } = newGate({ lagLimitMs: 0, maxInFlight: 0 });
    setLag(5_000, 0);
    for (let i = 0; i < 1_000; i += 1) {
      expect(gate.tryEnter()).toBeNull();
    }
    expect(gate.inFlight).toBe(1_000);
  });
});
