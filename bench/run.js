#!/usr/bin/env node
'use strict';
/**
 * The benchmark runner: `npm run bench` (full run, < 10 minutes) or `npm run bench -- --quick`
 * (< 1 minute). For each target (the bare relay in bench/baseline/, then our server) it starts the
 * server on a free port of 127.0.0.1, registers and logs in its users over HTTP, runs the scenarios
 * with the generator processes, samples server/database/generator CPU and RSS from /proc, stops the
 * server, and finally writes bench/results/<run>.json and the markdown report.
 *
 * Exit code: 0 when every scenario ran, 1 on a real error (a server that does not start, a refused
 * request, an error ack, a crashed scenario), 2 on bad flags. Missed targets never fail the run.
 * See bench/README.md.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parse, HELP, UsageError, SCENARIOS: DEFAULT_SCENARIOS } = require('./lib/args');
const DEFAULT_SCENARIO_COUNT = DEFAULT_SCENARIOS.length;
const { WorkerPool } = require('./lib/pool');
const { ProcSampler, listeningPid } = require('./lib/procstat');
const { startTarget, ensureBuilt, ROOT } = require('./lib/target');
const { createUsers } = require('./lib/setup');
const { DbStats } = require('./lib/dbstats');
const { calibrate } = require('./lib/calibrate');
const { httpJson, monoMs, round } = require('./lib/util');
const { waitIdle } = require('./lib/phase');
const { renderMarkdown, renderConsole } = require('./lib/report');
const { RuntimeProbe } = require('./lib/runtime');
const { renderLatencyChart, CHART_FILE } = require('./lib/chart');

const SCENARIOS = {
  connections: require('./scenarios/connections'),
  dm: require('./scenarios/dm'),
  group: require('./scenarios/group'),
  knee: require('./scenarios/knee'),
  http: require('./scenarios/http'),
  // opt-in (--scenarios cold,overload,storm): not part of the default full run
  cold: require('./scenarios/cold'),
  overload: require('./scenarios/overload'),
  storm: require('./scenarios/storm'),
};
const { ownUsersNeeded } = require('./scenarios/own-users');

let stopping = false;

function log(msg) {
  if (!stopping) {
    process.stdout.write(`${msg}\n`);
  }
}

function machineInfo() {
  let openFiles = null;
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    openFiles = line ? Number(line.split(/\s{2,}/)[1]) : null;
  } catch {
    openFiles = null;
  }
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    // others' uncommitted work in src/ or libs/ is part of what was measured: say so
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'libs'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    if (dirty) {
      commit += ' + uncommitted changes in src/ or libs/';
    }
  } catch {
    commit = commit || null;
  }
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : cpus.length,
    cpuModel: cpus.length ? cpus[0].model : null,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    openFilesLimit: openFiles,
    commit,
    calibration: calibrate(),
  };
}

function usersNeeded(opts) {
  const n = [2];
  const s = opts.scenarios;
  if (s.includes('connections')) {
    n.push(Math.ceil(opts.connections / opts.connDevices));
  }
  if (s.includes('dm')) {
    n.push(2 * opts.dmPairs);
  }
  if (s.includes('group')) {
    n.push(opts.groupMembers);
  }
  if (s.includes('knee')) {
    n.push(2 * opts.kneePairs);
  }
  if (s.includes('http')) {
    n.push(2 * opts.historyPairs);
  }
  if (s.includes('storm')) {
    n.push(SCENARIOS.storm.stormUsersNeeded(opts));
  }
  return Math.max(...n) + ownUsersNeeded(opts);
}

/** pid of the local process behind a postgres:// or redis:// URL on this machine, else null. */
function localListener(u, defaultPort) {
  if (!u) {
    return null;
  }
  try {
    const url = new URL(u);
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
      return null;
    }
    return listeningPid(Number(url.port) || defaultPort);
  } catch {
    return null;
  }
}

/**
 * Figures taken while something else used the cores, or while the generator itself fell behind its
 * schedule, measure the machine rather than the server: say so next to them.
 */
function checkHealthOfMeasurement(ctx, name, r) {
  const seen = new Set();
  const visit = (o, where) => {
    if (!o || typeof o !== 'object' || seen.has(o) || ArrayBuffer.isView(o)) {
      return;
    }
    seen.add(o);
    if (o.procs && typeof o.procs.otherPct === 'number' && o.procs.otherPct > ctx.opts.otherCpuWarnPct) {
      ctx.warn(`${where}: ${o.procs.otherPct} % of a core went to other work (kernel, other processes); the machine was not quiet`);
    }
    if (o.generatorLagMs && typeof o.generatorLagMs.p99 === 'number' && o.generatorLagMs.p99 > ctx.opts.genLagWarnMs) {
      ctx.warn(`${where}: the generator fell behind its schedule (lag p99 ${o.generatorLagMs.p99} ms); latencies include that`);
    }
    for (const [k, v] of Object.entries(o)) {
      if (k !== 'procs') {
        visit(v, Array.isArray(o) && v && v.rate ? `${where} @ ${v.rate}/s` : where);
      }
    }
  };
  visit(r, name);
}

const cleanups = new Set();

async function runTarget(kind, opts, runId, runDir) {
  const t = { kind, describe: null, setup: null, scenarios: {}, errors: [], warnings: [] };
  const ctx = {
    opts,
    runId,
    log,
    warn: (m) => {
      t.warnings.push(m);
      log(`  warning: ${m}`);
    },
    error: (m) => {
      t.errors.push(m);
      log(`  ERROR: ${m}`);
    },
  };
  let server = null;
  let pool = null;
  const cleanup = async () => {
    if (ctx.dbStats) {
      await ctx.dbStats.close();
      ctx.dbStats = null;
    }
    if (pool) {
      await pool.stop().catch(() => {});
      pool = null;
    }
    if (server) {
      await server.stop().catch(() => {});
      server = null;
    }
  };
  cleanups.add(cleanup);
  const t0 = monoMs();
  try {
    log(`[${kind}] starting`);
    server = await startTarget(kind, opts, runDir, log);
    t.describe = server.describe;
    t.bootS = round(server.bootS, 1);
    ctx.url = server.url;
    pool = new WorkerPool(opts.genWorkers);
    await pool.start({ receipts: opts.receipts, receiptDelayMs: opts.receiptDelayMs });
    ctx.pool = pool;
    ctx.sampler = new ProcSampler({
      serverPid: server.pid,
      genPids: () => [process.pid, ...pool.pids()],
      dbPid: kind === 'ours' ? localListener(opts.databaseUrl, 5432) : null,
      redisPid: kind === 'ours' ? localListener(opts.redisUrl, 6379) : null,
    });
    if (kind === 'ours') {
      ctx.runtime = new RuntimeProbe(server.url);
      ctx.dbStats = await DbStats.open({ databaseUrl: opts.databaseUrl, dataDir: server.dataDir });
      t.database = ctx.dbStats ? await ctx.dbStats.settings().catch(() => null) : null;
    }
    const n = usersNeeded(opts);
    log(`[${kind}] registering and logging in ${n} users`);
    const setup = await createUsers(server.url, n, `b${runId}`, { concurrency: opts.setupConcurrency, log });
    ctx.users = setup.users;
    ctx.sharedUsers = n - ownUsersNeeded(opts);
    t.setup = { users: n, registerPerSec: round(setup.registerPerSec, 1), loginPerSec: round(setup.loginPerSec, 1), concurrency: setup.concurrency };
    for (const name of opts.scenarios) {
      const quiet = await waitIdle(ctx);
      log(`[${kind}] ${name}${quiet.waitedS >= 2 ? ` (after ${quiet.waitedS} s for the server to go idle)` : ''}`);
      const s0 = monoMs();
      const runtimeWindow = ctx.runtime ? await ctx.runtime.start() : null;
      try {
        const r = await SCENARIOS[name](ctx);
        r.scenarioRuntime = await ctx.runtime?.stop(runtimeWindow);
        r.elapsedS = round((monoMs() - s0) / 1000, 1);
        r.idleBefore = quiet;
        t.scenarios[name] = r;
        checkHealthOfMeasurement(ctx, name, r);
      } catch (e) {
        ctx.runtime?.open.delete(runtimeWindow);
        ctx.error(`${name} failed: ${e.message}`);
        t.scenarios[name] = { failed: e.message, elapsedS: round((monoMs() - s0) / 1000, 1) };
        await pool.all('close').catch(() => {});
      }
      const h = await httpJson(server.url, 'GET', '/health', { timeoutMs: 10000 }).catch((e) => ({ status: e.message }));
      if (h.status !== 200) {
        ctx.error(`server unhealthy after ${name} (${h.status}); stopping this target`);
        break;
      }
    }
    const status = await pool.all('status');
    const disconnects = {};
    for (const s of status) {
      for (const [k, v] of Object.entries(s.disconnects)) {
        disconnects[k] = (disconnects[k] || 0) + v;
      }
    }
    t.unexpectedDisconnects = disconnects;
    t.serverErrorEvents = status.reduce((a, s) => a + s.serverErrors, 0);
    if (Object.keys(disconnects).length) {
      ctx.warn(`sockets dropped by the server during the run: ${JSON.stringify(disconnects)}`);
    }
    if (t.serverErrorEvents) {
      ctx.warn(`${t.serverErrorEvents} 'error' event(s) from the server`);
    }
  } catch (e) {
    ctx.error(e.message);
  } finally {
    await cleanup();
    cleanups.delete(cleanup);
  }
  t.elapsedS = round((monoMs() - t0) / 1000, 1);
  log(`[${kind}] done in ${t.elapsedS} s`);
  return t;
}

async function main() {
  let opts;
  try {
    opts = parse(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${HELP}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const started = new Date();
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const mode = opts.quick ? 'quick' : 'full';
  const runId = (Date.now() % 1e10).toString(36) + Math.floor(Math.random() * 36 * 36).toString(36);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  const runDir = path.join(resultsDir, `${stamp}-${mode}`);
  fs.mkdirSync(runDir, { recursive: true });
  const result = {
    version: 1,
    mode,
    startedAt: started.toISOString(),
    machine: machineInfo(),
    opts,
    targets: {},
    errors: [],
  };
  // a hard bound on the whole run, whatever hangs
  const hardLimitMs = (opts.quick ? 5 : 30) * 60000 + opts.bootTimeoutMs;
  const hard = setTimeout(() => {
    log(`ERROR: run exceeded ${hardLimitMs / 60000} minutes; stopping`);
    Promise.allSettled([...cleanups].map((c) => c())).finally(() => process.exit(1));
  }, hardLimitMs);
  hard.unref();

  const kinds = opts.target === 'both' ? ['relay', 'ours'] : [opts.target];
  log(`bench ${mode}: targets ${kinds.join(', ')}; scenarios ${opts.scenarios.join(', ')}; ` +
    `${opts.genWorkers} generator processes; results in ${path.relative(ROOT, runDir)}`);
  for (const kind of kinds) {
    if (kind === 'ours') {
      try {
        opts.serverMain = ensureBuilt(opts, log);
      } catch (e) {
        result.targets.ours = { kind, errors: [e.message], warnings: [], scenarios: {} };
        log(`ERROR: ${e.message}`);
        continue;
      }
    }
    result.targets[kind] = await runTarget(kind, opts, runId, runDir);
  }
  result.finishedAt = new Date().toISOString();
  for (const t of Object.values(result.targets)) {
    for (const e of t.errors) {
      result.errors.push(`${t.kind}: ${e}`);
    }
  }
  const jsonFile = opts.out ? path.resolve(opts.out) : path.join(resultsDir, `${stamp}-${mode}.json`);
  fs.writeFileSync(jsonFile, JSON.stringify(result, null, 2));
  result.resultFile = path.relative(ROOT, jsonFile);
  // the chart sits next to every report written, which links it by its bare name
  const svg = renderLatencyChart(result);
  const md = renderMarkdown(result, { chart: svg ? CHART_FILE : null });
  fs.writeFileSync(path.join(runDir, 'PERFORMANCE.md'), md);
  if (svg) {
    fs.writeFileSync(path.join(runDir, CHART_FILE), svg);
  }
  // the committed report comes only from a full run of everything against both targets
  const complete = !opts.quick && opts.target === 'both' && opts.scenarios.length >= DEFAULT_SCENARIO_COUNT;
  const doc = opts.doc || (complete ? path.join(ROOT, 'docs', 'PERFORMANCE.md') : null);
  if (doc) {
    fs.mkdirSync(path.dirname(path.resolve(doc)), { recursive: true });
    fs.writeFileSync(path.resolve(doc), md);
    if (svg) {
      fs.writeFileSync(path.join(path.dirname(path.resolve(doc)), CHART_FILE), svg);
    }
  }
  log('');
  log(renderConsole(result));
  log(`JSON: ${path.relative(ROOT, jsonFile)}${doc ? `; report: ${path.relative(ROOT, path.resolve(doc))}` : ''}`);
  if (result.errors.length) {
    log(`\n${result.errors.length} error(s):`);
    for (const e of result.errors) {
      log(`  - ${e.split('\n')[0]}`);
    }
    return 1;
  }
  return 0;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping servers and generator`);
    stopping = true;
    Promise.allSettled([...cleanups].map((c) => c())).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`ERROR: ${err.stack || err}`);
    Promise.allSettled([...cleanups].map((c) => c())).finally(() => process.exit(1));
  },
);
