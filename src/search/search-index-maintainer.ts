import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { isDependencyUnavailable } from '../common/errors/dependency-error';
import { SearchRepository } from './search.repository';

/** How often the search index's pending entries are merged. */
const MERGE_INTERVAL_MS = 1_000;
/**
 * SQLSTATEs that mean merging will never work here: not the index's owner (42501), a read-only or
 * recovering standby (25006, 55000), no such index (42P01, 42704: a schema without it).
 */
const PERMANENT_CODES = new Set(['42501', '25006', '55000', '42P01', '42704']);

/**
 * Keeps the message search index's pending list short, so no message commit has to merge it. Every
 * second (one cheap call when nothing is pending) a pool connection merges what the inserts queued;
 * each instance runs one, and a second merge started meanwhile waits and finds the list empty.
 * Without it, one message insert in every few thousand paid for the whole merge inline (see
 * `SearchRepository.mergePendingIndexEntries`). Where the merge can never work (the app's user does
 * not own the index, a read-only standby, no such index) it stops and the inline merge remains.
 */
@Injectable()
export class SearchIndexMaintainer implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SearchIndexMaintainer.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;

  constructor(private readonly search: SearchRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running ??= this.merge().finally(() => (this.running = null));
    }, MERGE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Whether merges are still scheduled. */
  get active(): boolean {
    return this.timer !== null;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    await this.running;
  }

  /** One merge; failures are logged (once per outage), never thrown. */
  async merge(): Promise<void> {
    try {
      await this.search.mergePendingIndexEntries();
      this.failing = false;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && PERMANENT_CODES.has(code)) {
        this.stop();
        this.logger.warn(
          `Search index pending entries cannot be merged here (${code}); inserts merge them instead`,
        );
        return;
      }
      if (!this.failing && !isDependencyUnavailable(error)) {
        this.logger.warn(`Search index pending entries not merged, retrying: ${String(error)}`);
      }
      this.failing = true;
    }
  }

  private stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
