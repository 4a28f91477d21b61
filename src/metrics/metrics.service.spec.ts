import { describe, it } from 'node:test';
import { expect } from 'expect';
import { MetricsService } from './metrics.service';

/** The value of a series without labels in Prometheus text, or undefined. */
function valueOf(text: string, name: string): number | undefined {
  const line = text.split('\n').find((row) => row.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('MetricsService runtime metrics', () => {
  it('should export event-loop delay percentiles and every GC pause with the longest one', async () => {
    const metrics = new MetricsService();
    try {
      const first = await metrics.registry.metrics();
      for (const name of ['p50', 'p99', 'max']) {
        expect(valueOf(first, `nodejs_eventloop_lag_${name}_seconds`)).toBeGreaterThanOrEqual(0);
      }
      // Garbage until a pause is observed (observer callbacks arrive on a later turn).
      let text = first;
      for (
        let round = 0;
        round < 500 && !(valueOf(text, 'nodejs_gc_pause_max_seconds') ?? 0);
        round += 1
      ) {
        let junk: unknown[] = [];
        for (let index = 0; index < 20_000; index += 1) {
          junk.push({ index, text: `item ${index}` });
        }
        junk = [];
        await new Promise((resolve) => setImmediate(resolve, junk));
        text = await metrics.registry.metrics();
      }
      expect(valueOf(text, 'nodejs_gc_pause_max_seconds')).toBeGreaterThan(0);
      expect(text).toMatch(/^nodejs_gc_pause_seconds_count\{kind="\w+"\} [1-9]/m);
    } finally {
      metrics.onModuleDestroy();
    }
  });
});
