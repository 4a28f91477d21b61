import { performance } from 'node:perf_hooks';

/** How often the gate's timer checks in: fine enough to see a lag of a few tens of milliseconds. */
const TICK_MS = 10;
/** Weight of the newest sample in the smoothed lag: a few late turns in a row, not one, shut it. */
const NEWEST_WEIGHT = 0.3;

/**
 * Tells whether the event loop is running late, turn after turn. Under a load above capacity, input
 * waits in socket buffers before the server even parses it, so a send read after long turns has
 * already waited that long: accepting it gives an acked latency nothing else bounds (the writer's
 * queue-age bound only sees time spent after parsing). While the loop is late, new sends are refused
 * at once (cheap), the turns shorten, and the sends that are accepted are the ones that did not wait.
 *
 * The lag is smoothed over the timer's samples, so one long turn (a start-up step, a collection) does
 * not refuse anything: four turns of 400 ms in a row shut a 300 ms gate, one turn of 1 s does not.
 */
export class LoopLagGate {
  private readonly timer: NodeJS.Timeout | null = null;
  private lastFired = performance.now();
  private smoothedLagMs = 0;
  private newestLagMs = 0;

  /** `limitMs` 0 turns the gate off (never lagging, no timer). */
  constructor(private readonly limitMs: number) {
    if (limitMs > 0) {
      this.timer = setInterval(() => {
        const now = performance.now();
        const lag = Math.max(0, now - this.lastFired - TICK_MS);
        this.lastFired = now;
        this.newestLagMs = lag;
        this.smoothedLagMs = this.smoothedLagMs * (1 - NEWEST_WEIGHT) + lag * NEWEST_WEIGHT;
      }, TICK_MS);
      this.timer.unref();
    }
  }

  /** The loop's smoothed lag in milliseconds (0 when the gate is off). */
  get lagMs(): number {
    return this.smoothedLagMs;
  }

  /** The newest sample, unsmoothed: how late the timer was when it last ran (0 when off). */
  get latestLagMs(): number {
    return this.newestLagMs;
  }

  /**
   * How late the timer is right now, unsmoothed: the time since it last ran, beyond its period. Grows
   * during a long turn (a flood of handshakes read in one poll phase), which the smoothed lag only
   * sees after the turn (0 when the gate is off).
   */
  get currentLagMs(): number {
    return this.timer ? Math.max(0, performance.now() - this.lastFired - TICK_MS) : 0;
  }

  /** True while the loop runs later than the limit. */
  get lagging(): boolean {
    return this.smoothedLagMs > this.limitMs;
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }
}
