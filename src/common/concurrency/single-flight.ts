/**
 * At most one call in flight per key: callers arriving while a call for their key runs share its
 * promise (its result or its error), so N concurrent cache misses cost one lookup.
 */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const running = this.inFlight.get(key);
    if (running) {
      return running;
    }
    const started = work().finally(() => {
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, started);
    return started;
  }

  /** Calls in flight (for tests and metrics). */
  get size(): number {
    return this.inFlight.size;
  }
}
