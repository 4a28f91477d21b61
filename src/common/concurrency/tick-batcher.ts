/** What a batch load answers: a value per key it found (missing keys get `fallback`). */
export type BatchLoad<K, V> = (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;

export interface TickBatcherOptions<V> {
  /** The most keys one load gets; more in the same tick start another load at once. */
  maxBatch: number;
  /** The answer for a key the load did not return. */
  fallback: V;
  /**
   * Whether a key asked again while its load is already running shares that load (single-flight).
   * False where the answer must be read after the caller's own earlier steps (catch-up after the
   * socket joined its rooms): such a caller waits for the next batch instead.
   */
  joinInFlight: boolean;
}

interface Pending<V> {
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

function pending<V>(): Pending<V> {
  let resolve!: (value: V) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Coalesces lookups asked in the same event-loop turn into one batch load (`setImmediate`, so every
 * handshake the poll phase delivered together lands in one batch): N concurrent connects cost one
 * query, not N, and a key asked twice in a batch is loaded once. A failed load rejects every caller
 * of that batch with its error.
 */
export class TickBatcher<K, V> {
  private queued = new Map<K, Pending<V>>();
  private readonly inFlight = new Map<K, Pending<V>>();
  private scheduled = false;
  /** Loads started (for tests and metrics: counters, not timings). */
  loads = 0;

  constructor(
    private readonly load: BatchLoad<K, V>,
    private readonly options: TickBatcherOptions<V>,
  ) {}

  get(key: K): Promise<V> {
    const waiting = this.queued.get(key) ?? (this.options.joinInFlight && this.inFlight.get(key));
    if (waiting) {
      return waiting.promise;
    }
    const entry = pending<V>();
    this.queued.set(key, entry);
    if (this.queued.size >= this.options.maxBatch) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return entry.promise;
  }

  /** Later callers for `key` start a new load instead of sharing one that is already running. */
  forget(key: K): void {
    this.inFlight.delete(key);
  }

  private flush(): void {
    const batch = this.queued;
    if (!batch.size) {
      return;
    }
    this.queued = new Map();
    this.loads += 1;
    for (const [key, entry] of batch) {
      this.inFlight.set(key, entry);
    }
    const settle = (key: K, entry: Pending<V>): void => {
      if (this.inFlight.get(key) === entry) {
        this.inFlight.delete(key);
      }
    };
    this.load([...batch.keys()]).then(
      (values) => {
        for (const [key, entry] of batch) {
          settle(key, entry);
          entry.resolve(values.has(key) ? (values.get(key) as V) : this.options.fallback);
        }
      },
      (error: unknown) => {
        for (const [key, entry] of batch) {
          settle(key, entry);
          entry.reject(error);
        }
      },
    );
  }
}
