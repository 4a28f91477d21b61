'use strict';
/**
 * CPU and RSS of the processes under test, read from /proc (Linux only; elsewhere the figures are
 * null). Processes are put in groups:
 *   server  the server process and its node descendants (cluster workers with WORKERS=N)
 *   db      postgres processes under the server (the embedded default), or, with dbSystemWide,
 *           every postgres process on the machine (an external PostgreSQL on this host)
 *   redis   redis-server processes (system-wide) when asked for
 *   gen     the runner itself and the generator worker processes
 * CPU is in percent of one core (200 % = both cores of a 2-core machine).
 */
const fs = require('node:fs');
const os = require('node:os');

const TICKS = 100; // USER_HZ: 100 on every Linux the kernel ABI allows for /proc/<pid>/stat
const PAGE_KB = 4;
const HAS_PROC = fs.existsSync('/proc/self/stat');

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // f[0] = state (field 3), so field n is f[n - 3]
    return {
      pid,
      comm,
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]),
      rssKB: Number(f[21]) * PAGE_KB,
    };
  } catch {
    return null;
  }
}

function allStats() {
  const out = new Map();
  if (!HAS_PROC) {
    return out;
  }
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) {
      continue;
    }
    const st = readStat(Number(name));
    if (st) {
      out.set(st.pid, st);
    }
  }
  return out;
}

function machineTicks() {
  try {
    const line = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] || 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

class ProcSampler {
  /**
   * @param {object} o
   * @param {() => number|null} o.serverPid  root pid of the server under test
   * @param {() => number[]} o.genPids        runner + generator worker pids
   * @param {boolean} o.dbSystemWide          count every postgres process on the host as db
   * @param {boolean} o.redisSystemWide       count every redis-server process as redis
   */
  constructor({ serverPid, genPids, dbSystemWide = false, redisSystemWide = false, intervalMs = 500 }) {
    this.serverPid = serverPid;
    this.genPids = genPids;
    this.dbSystemWide = dbSystemWide;
    this.redisSystemWide = redisSystemWide;
    this.intervalMs = intervalMs;
    this.timer = null;
  }

  classify(stats) {
    const groups = new Map(); // pid -> group name
    const root = this.serverPid();
    if (root && stats.has(root)) {
      const children = new Map();
      for (const st of stats.values()) {
        if (!children.has(st.ppid)) {
          children.set(st.ppid, []);
        }
        children.get(st.ppid).push(st.pid);
      }
      const stack = [root];
      let guard = 0;
      while (stack.length && guard++ < 100000) {
        const pid = stack.pop();
        const st = stats.get(pid);
        groups.set(pid, st && st.comm.startsWith('postgres') ? 'db' : 'server');
        for (const c of children.get(pid) || []) {
          stack.push(c);
        }
      }
    }
    for (const st of stats.values()) {
      if (groups.has(st.pid)) {
        continue;
      }
      if (this.dbSystemWide && st.comm.startsWith('postgres')) {
        groups.set(st.pid, 'db');
      } else if (this.redisSystemWide && st.comm.startsWith('redis-server')) {
        groups.set(st.pid, 'redis');
      }
    }
    for (const pid of this.genPids()) {
      groups.set(pid, 'gen');
    }
    return groups;
  }

  /** Current RSS per group in MiB (one-shot, for before/after figures). */
  rss() {
    const stats = allStats();
    const groups = this.classify(stats);
    const out = { server: 0, db: 0, redis: 0, gen: 0 };
    for (const [pid, g] of groups) {
      out[g] += stats.get(pid) ? stats.get(pid).rssKB : 0;
    }
    for (const k of Object.keys(out)) {
      out[k] = HAS_PROC ? out[k] / 1024 : null;
    }
    return out;
  }

  start() {
    this.first = new Map();
    this.last = new Map();
    this.series = [];
    this.t0 = Date.now();
    this.m0 = machineTicks();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  sample() {
    if (!HAS_PROC) {
      return;
    }
    const now = Date.now();
    const stats = allStats();
    const groups = this.classify(stats);
    const point = { t: now, cpuTicks: { server: 0, db: 0, redis: 0, gen: 0 }, rssKB: { server: 0, db: 0, redis: 0, gen: 0 } };
    for (const [pid, g] of groups) {
      const st = stats.get(pid);
      if (!st) {
        continue;
      }
      const prev = this.last.get(pid);
      // a process first seen after the start began inside the window: all its ticks count
      const base = prev ? prev.ticks : this.series.length === 0 ? st.ticks : 0;
      point.cpuTicks[g] += Math.max(0, st.ticks - base);
      point.rssKB[g] += st.rssKB;
      this.last.set(pid, { ticks: st.ticks, group: g });
    }
    this.series.push(point);
  }

  stop() {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.sample();
    const m1 = machineTicks();
    const wallS = (Date.now() - this.t0) / 1000;
    const out = {};
    for (const g of ['server', 'db', 'redis', 'gen']) {
      if (!HAS_PROC || this.series.length < 2) {
        out[g] = null;
        continue;
      }
      let ticks = 0;
      let maxPct = 0;
      let rssMax = 0;
      for (let i = 1; i < this.series.length; i++) {
        const p = this.series[i];
        ticks += p.cpuTicks[g];
        const dt = (p.t - this.series[i - 1].t) / 1000;
        if (dt > 0.2) {
          maxPct = Math.max(maxPct, (p.cpuTicks[g] / TICKS / dt) * 100);
        }
        rssMax = Math.max(rssMax, p.rssKB[g]);
      }
      const end = this.series[this.series.length - 1].rssKB[g];
      if (rssMax === 0 && ticks === 0) {
        out[g] = null;
        continue;
      }
      out[g] = {
        cpuAvgPct: Math.round((ticks / TICKS / wallS) * 1000) / 10,
        cpuMaxPct: Math.round(maxPct * 10) / 10,
        cpuSeconds: Math.round((ticks / TICKS) * 100) / 100,
        rssMaxMB: Math.round(rssMax / 102.4) / 10,
        rssEndMB: Math.round(end / 102.4) / 10,
      };
    }
    if (this.m0 && m1) {
      const total = m1.total - this.m0.total;
      const idle = m1.idle - this.m0.idle;
      out.machineBusyPct = total > 0 ? Math.round((1 - idle / total) * 1000) / 10 : null;
    }
    out.wallS = Math.round(wallS * 10) / 10;
    out.cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    return out;
  }
}

module.exports = { ProcSampler, HAS_PROC };
