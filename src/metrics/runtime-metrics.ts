import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Sub-millisecond first: a young-generation pause is typically 0.1-2 ms. */
const GC_PAUSE_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

function gcKind(entry: PerformanceEntry): string {
  const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } | null };
  return GC_KINDS[detail?.kind ?? -1] ?? 'other';
}

/**
 * GC pauses as the process saw them: every pause (prom-client's own `nodejs_gc_duration_seconds`
 * records only the first entry of each observer batch, so it undercounts under load), by kind, and
 * the longest pause since the previous scrape, so a stall between two scrapes is attributable.
 * Returns the function that stops observing.
 */
export function registerGcMetrics(registry: Registry): () => void {
  let longest = 0;
  const pauses = new Histogram({
    name: 'nodejs_gc_pause_seconds',
    help: 'Every garbage collection pause, by kind (major, minor, incremental, weakcb)',
    labelNames: ['kind'] as const,
    buckets: GC_PAUSE_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'nodejs_gc_pause_max_seconds',
    help: 'Longest garbage collection pause since the previous scrape (reset by each scrape)',
    registers: [registry],
    collect() {
      this.set(longest);
      longest = 0;
    },
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const seconds = entry.duration / 1000;
      pauses.observe({ kind: gcKind(entry) }, seconds);
      longest = Math.max(longest, seconds);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
