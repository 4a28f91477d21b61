import { performance } from 'node:perf_hooks';
import { LoopLagGate } from './loop-lag-gate';

/** Why an admission was refused (the metrics label). */
export type AdmissionRefusalReason = 'event_loop_lag' | 'in_flight';

export interface AdmissionRefusal {
  reason: AdmissionRefusalReason;
  /** When to come back: spread over a window that grows with the crowd (see retryHintMs). */
  retryAfterMs: number;
}

/** What the gate reads of the loop: LoopLagGate, or a fake in unit tests. */
export interface LoopLag {
  readonly lagMs: number;
  readonly lagging: boolean;
  /** Unsmoothed: how late the loop's timer was when it last ran. */
  readonly latestLagMs: number;
  /** Unsmoothed: how late the loop's timer is now (grows during a long turn). */
  readonly currentLagMs: number;
  stop(): void;
}

export interface AdmissionGateOptions {
  /** Refuse while the event loop runs this many ms late, smoothed (0: never for lag). */
  lagLimitMs: number;
  /** Refuse while this many admitted jobs are still in flight (0: no bound). */
  maxInFlight: number;
  /** Shortest spread window of the retry hint, in ms (default 1,000). */
  baseRetryMs?: number;
  /** Longest spread window of the retry hint, in ms (default 10,000). */
  maxRetryMs?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
  /** The loop's lag (default a LoopLagGate with `lagLimitMs`, started here). */
  lag?: LoopLag;
}

/** Half-life of the recent admitted and refused counts: about the last second or two counts. */
const HALF_LIFE_MS = 1_000;

/**
 * Admission for work that is expensive to start and cheap to refuse (a reconnect storm's
 * handshakes): refused at once while the event loop is late turn after turn and still late (so work
 * already admitted, messages first, keeps its turns), or while `maxInFlight` admitted jobs have not finished. A refusal carries a
 * retry hint spread over a window scaled by the pressure: how late the loop is compared with the
 * limit, and how many were refused lately compared with how many got in (about how many times the
 * capacity is knocking). A quarter to all of that window, at random: refused clients come back spread
 * out instead of all in the same millisecond, and a bigger crowd is spread wider.
 */
export class AdmissionGate {
  private active = 0;
  private refused = 0;
  private admitted = 0;
  private countedAt: number;
  private readonly lag: LoopLag | null;
  private readonly baseRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: AdmissionGateOptions) {
    this.lag = options.lag ?? (options.lagLimitMs > 0 ? new LoopLagGate(options.lagLimitMs) : null);
    this.baseRetryMs = options.baseRetryMs ?? 1_000;
    this.maxRetryMs = Math.max(this.baseRetryMs, options.maxRetryMs ?? 10_000);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.countedAt = this.now();
  }

  /** Admitted and not yet left. */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Admits one job (the caller must call `leave()` exactly once when it ends, however it ends), or
   * returns why not and when to retry. Costs a few comparisons: safe to call before any other work.
   */
  tryEnter(): AdmissionRefusal | null {
    this.decay();
    const reason: AdmissionRefusalReason | null =
      this.options.lagLimitMs > 0 && this.late()
        ? 'event_loop_lag'
        : this.options.maxInFlight > 0 && this.active >= this.options.maxInFlight
          ? 'in_flight'
          : null;
    if (reason === null) {
      this.active += 1;
      this.admitted += 1;
      return null;
    }
    this.refused += 1;
    return { reason, retryAfterMs: this.retryHintMs() };
  }

  /**
   * Counts one more job in flight without asking: the next phase of an admitted job (connection
   * set-up after the token check) that must be counted but not refused. `leave()` follows.
   */
  enter(): void {
    this.active += 1;
  }

  /**
   * Late turn after turn (smoothed) and still late: the newest sample, or the current turn so far,
   * is past the limit too. After one long turn (start-up, a collection) the smoothed lag stays high
   * for a few ticks while the loop is on time again: nothing is refused then. (Within one long poll
   * phase of handshakes the lag measured before it decides; `maxInFlight` bounds that turn.)
   */
  private late(): boolean {
    if (!this.lag?.lagging) {
      return false;
    }
    return Math.max(this.lag.latestLagMs, this.lag.currentLagMs) > this.options.lagLimitMs;
  }

  /** One admitted (or entered) job ended (succeeded or failed). */
  leave(): void {
    this.active = Math.max(0, this.active - 1);
  }

  stop(): void {
    this.lag?.stop();
  }

  /**
   * Pressure: the loop's lag over its limit, or refusals over admissions lately, whichever is more
   * (at least 1). The window is the base times that, capped; the hint is 25-100 % of the window.
   */
  private retryHintMs(): number {
    const late =
      this.options.lagLimitMs > 0 && this.lag
        ? Math.max(this.lag.lagMs, this.lag.currentLagMs) / this.options.lagLimitMs
        : 0;
    const crowd = this.refused / Math.max(1, this.admitted);
    const window = Math.min(this.maxRetryMs, this.baseRetryMs * Math.max(1, late, crowd));
    return Math.round(window * (0.25 + 0.75 * this.random()));
  }

  /** Exponential decay of both counts, so "lately" means about the last couple of seconds. */
  private decay(): void {
    const now = this.now();
    const elapsed = now - this.countedAt;
    if (elapsed <= 0) {
      return;
    }
    const keep = 0.5 ** (elapsed / HALF_LIFE_MS);
    this.refused *= keep;
    this.admitted *= keep;
    this.countedAt = now;
  }
}
