import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** totalUsers is informational: it is counted at most this often, never once per probe. */
const USER_COUNT_TTL_MS = 10_000;
/** The longest a probe waits for a first count before answering null. */
const USER_COUNT_WAIT_MS = 2_000;

/** The database figures `/health` reports, kept cheap: load balancers probe often and in parallel. */
@Injectable()
export class DatabaseProbe {
  private userCount: { value: number; at: number } | null = null;
  private userCountFill: Promise<number | null> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The user count, refreshed at most every USER_COUNT_TTL_MS by one query at a time. A stale value
   * is answered while the refresh runs, so a slow or unreachable database never makes the probe wait
   * on it; null while no count has ever succeeded.
   */
  async countUsers(): Promise<number | null> {
    if (this.userCount && Date.now() - this.userCount.at < USER_COUNT_TTL_MS) {
      return this.userCount.value;
    }
    this.userCountFill ??= this.dataSource
      .query<{ count: string }[]>('SELECT count(*)::text AS count FROM users')
      .then(
        (rows) => {
          const value = Number(rows[0]?.count ?? 0);
          this.userCount = { value, at: Date.now() };
          return value;
        },
        () => this.userCount?.value ?? null,
      )
      .finally(() => {
        this.userCountFill = null;
      });
    if (this.userCount) {
      return this.userCount.value;
    }
    return Promise.race([
      this.userCountFill,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), USER_COUNT_WAIT_MS).unref()),
    ]);
  }
}
