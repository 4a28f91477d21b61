'use strict';
/**
 * CPU and RSS of the processes under test, read from /proc (Linux only; elsewhere the figures are
 * null). Processes are put in groups:
 *   server  the server process and its node descendants (cluster workers with WORKERS=N)
 *   db      postgres processes under the server (the embedded default), or the process tree of an
 *           external PostgreSQL on this host (found by the port it listens on)
 *   redis   the process tree of a Redis on this host, likewise
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
    // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
    const idle = v[3] + (v[4] || 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** The pid of the process listening on a TCP port of this machine (to find an external database). */
function listeningPid(port) {
  if (!HAS_PROC) {
    return null;
  }
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) {
        inodes.add(`socket:[${f[9]}]`);
      }
    }
  }
  if (inodes.size === 0) {
    return null;
  }
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(fs.readlinkSync(`/proc/${name}/fd/${fd}`))) {
          return Number(name);
        }
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return null;
}

class ProcSampler {
  /**
   * @param {object} o
   * @param {() => number|null} o.serverPid  root pid of the server under test
   * @param {() => number[]} o.genPids        runner + generator worker pids
   * @param {number|null} o.dbPid            root pid of an external PostgreSQL on this host
   * @param {number|null} o.redisPid         root pid of a Redis on this host
   */
  constructor({ serverPid, genPids, dbPid = null, redisPid = null, intervalMs = 500 }) {
    this.serverPid = serverPid;
    this.genPids = genPids;
    this.roots = [
      [dbPid, 'db'],
      [redisPid, 'redis'],
    ].filter(([pid]) => pid);
    this.intervalMs = intervalMs;
    this.timer = null;
  }

  classify(stats) {
    const groups = new Map(); // pid -> group name
    const children = new Map();
    for (const st of stats.values()) {
      if (!children.has(st.ppid)) {
        children.set(st.ppid, []);
      }
      children.get(st.ppid).push(st.pid);
    }
    const walk = (root, groupOf) => {
      const stack = root && stats.has(root) ? [root] : [];
      let guard = 0;
      while (stack.length && guard++ < 100000) {
        const pid = stack.pop();
        groups.set(pid, groupOf(stats.get(pid)));
        for (const c of children.get(pid) || []) {
          stack.push(c);
        }
      }
    };
    walk(this.serverPid(), (st) => (st && st.comm.startsWith('postgres') ? 'db' : 'server'));
    for (const [pid, g] of this.roots) {
      walk(pid, () => g);
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
      // in % of one core like the groups, so "other" (kernel networking, other processes) adds up
      const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
      out.machineBusyPct = total > 0 ? Math.round((1 - idle / total) * cores * 1000) / 10 : null;
      const ours = ['server', 'db', 'redis', 'gen'].reduce((a, g) => a + (out[g] ? out[g].cpuAvgPct : 0), 0);
      out.otherPct = out.machineBusyPct === null ? null : Math.max(0, Math.round((out.machineBusyPct - ours) * 10) / 10);
    }
    out.wallS = Math.round(wallS * 10) / 10;
    out.cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    return out;
  }
}

module.exports = { ProcSampler, listeningPid, HAS_PROC };
