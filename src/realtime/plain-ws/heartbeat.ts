/** What the heartbeat needs of a connection. */
export interface HeartbeatTarget {
  missedPongs: number;
  ping(): void;
  terminate(): void;
}

/** SPEC 5b: a WebSocket ping every 25 s; a connection that leaves two unanswered is closed. */
export const PLAIN_WS_PING_INTERVAL_MS = 25_000;
export const PLAIN_WS_MAX_MISSED_PONGS = 2;

/**
 * One timer for every connection (not one per socket). Each tick closes the connections that left
 * `maxMissed` pings unanswered and pings the rest; a pong resets the count.
 */
export class Heartbeat<T extends HeartbeatTarget> {
  private readonly targets = new Set<T>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs = PLAIN_WS_PING_INTERVAL_MS,
    private readonly maxMissed = PLAIN_WS_MAX_MISSED_PONGS,
  ) {}

  track(target: T): void {
    target.missedPongs = 0;
    this.targets.add(target);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  untrack(target: T): void {
    this.targets.delete(target);
    if (!this.targets.size) {
      this.stop();
    }
  }

  alive(target: T): void {
    target.missedPongs = 0;
  }

  tick(): void {
    for (const target of this.targets) {
      if (target.missedPongs >= this.maxMissed) {
        this.targets.delete(target);
        target.terminate();
        continue;
      }
      target.missedPongs += 1;
      target.ping();
    }
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
