'use strict';
/**
 * The server's own view of a measured window, from its GET /metrics: event-loop delay (p50, p99,
 * max), GC pauses (count, total, longest) and message commits (count, mean, how many took over
 * 50 ms: a database stall). The server resets the delay histogram and the longest
 * pause at every scrape, so a window is "from one scrape to the next"; when other windows are
 * scraped inside it (the knee steps inside the knee scenario), its percentiles are the worst of
 * those sub-windows and its maxima the largest. Targets without /metrics (the relay) give null.
 */
const { round } = require('./util');

/** Prometheus text -> the few figures used here (GC series summed over kinds). */
function parseMetrics(text) {
  const out = {
    gcCount: 0, gcSumS: 0, gcMaxS: null, loopP50S: null, loopP99S: null, loopMaxS: null,
    commits: 0, commitSumS: 0, commitsUpTo50Ms: 0,
  };
  const names = {
    nodejs_eventloop_lag_p50_seconds: 'loopP50S',
    nodejs_eventloop_lag_p99_seconds: 'loopP99S',
    nodejs_eventloop_lag_max_seconds: 'loopMaxS',
    nodejs_gc_pause_max_seconds: 'gcMaxS',
  };
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') {
      continue;
    }
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    const name = series.split('{')[0];
    if (names[name]) {
      out[names[name]] = value;
    } else if (name === 'nodejs_gc_pause_seconds_count') {
      out.gcCount += value;
    } else if (name === 'nodejs_gc_pause_seconds_sum') {
      out.gcSumS += value;
    } else if (name === 'message_write_duration_seconds_count') {
      out.commits = value;
    } else if (name === 'message_write_duration_seconds_sum') {
      out.commitSumS = value;
    } else if (series === 'message_write_duration_seconds_bucket{le="0.05"}') {
      out.commitsUpTo50Ms = value;
    }
  }
  return out.loopMaxS === null ? null : out;
}

class RuntimeProbe {
  constructor(url) {
    this.url = url;
    this.open = new Set();
  }

  async scrape() {
    let sample = null;
    try {
      const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(10000) });
      sample = res.status === 200 ? parseMetrics(await res.text()) : null;
    } catch {
      sample = null;
    }
    if (sample) {
      for (const w of this.open) {
        w.windows += 1;
        w.loopP50S = Math.max(w.loopP50S, sample.loopP50S);
        w.loopP99S = Math.max(w.loopP99S, sample.loopP99S);
        w.loopMaxS = Math.max(w.loopMaxS, sample.loopMaxS);
        w.gcMaxS = Math.max(w.gcMaxS, sample.gcMaxS || 0);
      }
    }
    return sample;
  }

  /** Opens a window (its first scrape resets the server's per-scrape figures); null without /metrics. */
  async start() {
    const first = await this.scrape();
    if (!first) {
      return null;
    }
    const w = { first, windows: 0, loopP50S: 0, loopP99S: 0, loopMaxS: 0, gcMaxS: 0, t0: Date.now() };
    this.open.add(w);
    return w;
  }

  /** Closes a window: its figures in ms. */
  async stop(w) {
    if (!w) {
      return null;
    }
    const last = await this.scrape();
    this.open.delete(w);
    if (!last) {
      return null;
    }
    const gcTotalMs = (last.gcSumS - w.first.gcSumS) * 1000;
    const commits = last.commits - w.first.commits;
    const windowMs = Date.now() - w.t0;
    return {
      windowS: round(windowMs / 1000, 1),
      // percentiles of the worst sub-window when other windows were scraped inside this one
      subWindows: w.windows,
      loopP50Ms: round(w.loopP50S * 1000, 2),
      loopP99Ms: round(w.loopP99S * 1000, 2),
      loopMaxMs: round(w.loopMaxS * 1000, 1),
      gcPauses: last.gcCount - w.first.gcCount,
      gcTotalMs: round(gcTotalMs, 1),
      gcMaxMs: round(w.gcMaxS * 1000, 2),
      gcPct: windowMs > 0 ? round((gcTotalMs / windowMs) * 100, 2) : null,
      commits,
      commitMeanMs: commits > 0 ? round(((last.commitSumS - w.first.commitSumS) * 1000) / commits, 2) : null,
      commitsOver50Ms: commits - (last.commitsUpTo50Ms - w.first.commitsUpTo50Ms),
    };
  }
}

/** Markdown lines: one row per scenario and per knee step (ours; the relay exports no /metrics). */
function runtimeSection(result, { fmt, table }) {
  const rows = [];
  const t = result.targets.ours;
  const s = (t && t.scenarios) || {};
  const push = (name, r) => {
    if (r) {
      rows.push([name, fmt(r.loopP50Ms), fmt(r.loopP99Ms), fmt(r.loopMaxMs), fmt(r.gcPauses), fmt(r.gcTotalMs), fmt(r.gcMaxMs), fmt(r.gcPct), fmt(r.commits), fmt(r.commitMeanMs), fmt(r.commitsOver50Ms)]);
    }
  };
  for (const name of Object.keys(s)) {
    const r = s[name];
    if (!r) {
      continue;
    }
    // runPhase's window (dm, group: the measured phase, no warm-up) when there is one
    push(r.runtime ? `${name} (measured phase)` : name, r.runtime || r.scenarioRuntime);
    if (name === 'knee') {
      for (const k of r.steps || []) {
        push(`knee @ ${fmt(k.rate)}/s${k.attempt > 1 ? ` (attempt ${k.attempt})` : ''}`, k.runtime);
      }
    }
  }
  if (!rows.length) {
    return [];
  }
  return [
    '## Server event loop and GC per scenario (ours)',
    '',
    'From the server\'s own GET /metrics, scraped when each window opens and closes: event-loop delay',
    '(`monitorEventLoopDelay`, 1 ms resolution; p50/p99 of the window, or of its worst sub-window for a',
    'whole scenario) and every GC pause (count, total, longest; % = GC time / window). A stall shows here as',
    'a large max delay; when the longest GC pause is close to it, GC was the stall. Commits are the message',
    'group commits (`message_write_duration_seconds`): one over 50 ms held up every send queued behind it.',
    '',
    table(['window', 'loop delay p50 (ms)', 'p99 (ms)', 'max (ms)', 'GC pauses', 'GC total (ms)', 'GC max (ms)', 'GC % of window', 'commits', 'commit mean (ms)', 'commits > 50 ms'], rows),
    '',
  ];
}

module.exports = { RuntimeProbe, parseMetrics, runtimeSection };
