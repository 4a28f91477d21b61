import { performance } from 'node:perf_hooks';

/** How often the gate's timer checks in: fine enough to see a lag of a few tens of milliseconds. */
const TICK_MS = 10;

/**
 * Tells whether the event loop is running late. Under a load above capacity, input waits in socket
 * buffers before the server even parses it, so a send read after a long turn has already waited that
 * long: accepting it gives an acked latency nothing else bounds (the writer's queue-age bound only
 * sees time spent after parsing). While the loop is late, new sends are refused at once (cheap), the
 * turns shorten, and the sends that are accepted are the ones that did not wait.
 *
 * "Late" is the larger of the lag the timer saw when it last fired and the time since it should have
 * fired again (a turn still running counts as it grows, not only once it ends), and the gate stays
 * shut for `limitMs` after a late turn: what the next turns read waited through it.
 */
export class LoopLagGate {
  private readonly timer: NodeJS.Timeout | null = null;
  private lastFired = performance.now();
  private lastLagMs = 0;
  /** After a late turn the next ones read input that waited through it: late until then. */
  private lateUntil = 0;

  /** `limitMs` 0 turns the gate off (never lagging, no timer). */
  constructor(private readonly limitMs: number) {
    if (limitMs > 0) {
      this.timer = setInterval(() => {
        const now = performance.now();
        this.lastLagMs = Math.max(0, now - this.lastFired - TICK_MS);
        this.lastFired = now;
        if (this.lastLagMs > limitMs) {
          this.lateUntil = now + limitMs;
        }
      }, TICK_MS);
      this.timer.unref();
    }
  }

  /** The loop's current lag in milliseconds (0 when the gate is off). */
  get lagMs(): number {
    if (!this.timer) {
      return 0;
    }
    return Math.max(this.lastLagMs, performance.now() - this.lastFired - TICK_MS);
  }

  /** True while the loop is later than the limit, and for as long again after such a turn. */
  get lagging(): boolean {
    return this.timer !== null && (this.lagMs > this.limitMs || performance.now() < this.lateUntil);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }
}
