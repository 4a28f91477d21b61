'use strict';
/**
 * Command-line flags and the two presets. Every figure a scenario uses is here, so a run's JSON
 * records exactly what was asked for.
 */
const os = require('node:os');

const SCENARIOS = ['connections', 'dm', 'group', 'knee', 'http'];
/** Opt-in robustness runs (issue 12): named with --scenarios, never part of the default run. */
const OPTIONAL_SCENARIOS = ['cold', 'overload', 'storm'];

const DEFAULTS = {
  target: 'both', // both | ours | relay
  scenarios: SCENARIOS,
  genWorkers: Math.max(2, os.availableParallelism ? os.availableParallelism() : os.cpus().length),
  maxSocketsPerWorker: 18000, // each generator process stays under the 20,000 open-file cap
  // connections
  connections: 5000,
  connDevices: 5,
  connConcurrency: 200,
  connectTimeoutMs: 20000,
  connHoldMs: 5000,
  // dm
  dmPairs: 100,
  dmRate: 2000,
  dmDurationMs: 20000,
  dmWarmupMs: 3000,
  // group
  groupMembers: 200,
  groupSenders: 4,
  groupRate: 252, // 252 msg/s x 199 recipients = 50,148 deliveries/s offered: just over the target
  groupDurationMs: 15000,
  groupWarmupMs: 2000,
  // knee
  kneePairs: 100,
  kneeSteps: [500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000],
  kneeStepMs: 5000,
  kneeP99Ms: 100,
  kneeMaxMs: 150000,
  kneeWarmupMs: 2000,
  kneeRetries: 1,
  // cold (opt-in): first messages of new pairs, no warm-up
  coldPairs: 100,
  coldRate: 2000,
  coldDurationMs: 10000,
  // overload (opt-in): above capacity, cold
  overloadPairs: 200,
  overloadRate: 5000,
  overloadDurationMs: 10000,
  // storm (opt-in): N sockets drop and reconnect at once while dm pairs send
  stormConnections: 5000,
  stormPairs: 50,
  stormDmRate: 500,
  stormDurationMs: 10000,
  // http
  loginConnections: 16,
  loginDurationS: 10,
  historyConnections: 32,
  historyDurationS: 10,
  historyPairs: 10,
  // common
  msgSize: 100,
  ackTimeoutMs: 10000,
  drainMs: 5000,
  settleMs: 1000,
  receipts: true,
  receiptDelayMs: 0,
  setupConcurrency: 8,
  idleCpuPct: 30, // a scenario starts once server + db use less than this much of a core...
  idleWaitMs: 60000, // ...or after this long
  idleProbeMs: 1000,
  otherCpuWarnPct: 50, // warn when other work takes this much of a core during a measurement
  genLagWarnMs: 20, // warn when the generator's own send lag p99 passes this
  // server
  serverCmd: null,
  oursUrl: null,
  serverPid: null,
  databaseUrl: null,
  redisUrl: null,
  workers: null,
  build: null, // null: dist/ when fresh, else a tsc build in bench/results/build (see target.js)
  nodeEnv: 'production',
  logLevel: 'warn',
  bootTimeoutMs: 180000,
  stopTimeoutMs: 20000,
  dataParent: null,
  // output
  out: null,
  doc: null, // null: docs/PERFORMANCE.md for a full run, none for --quick
  quick: false,
};

const QUICK = {
  connections: 200,
  connHoldMs: 500,
  dmPairs: 10,
  dmRate: 200,
  dmDurationMs: 2000,
  dmWarmupMs: 500,
  groupMembers: 20,
  groupSenders: 2,
  groupRate: 20,
  groupDurationMs: 2000,
  groupWarmupMs: 0,
  kneePairs: 10,
  kneeSteps: [200, 500],
  kneeStepMs: 1500,
  kneeMaxMs: 15000,
  kneeWarmupMs: 0,
  loginConnections: 4,
  loginDurationS: 1.5,
  historyConnections: 8,
  historyDurationS: 1.5,
  historyPairs: 4,
  coldPairs: 10,
  coldRate: 200,
  coldDurationMs: 2000,
  overloadPairs: 10,
  overloadRate: 1000,
  overloadDurationMs: 2000,
  stormConnections: 200,
  stormPairs: 10,
  stormDmRate: 200,
  stormDurationMs: 2000,
  drainMs: 3000,
  settleMs: 300,
  connectTimeoutMs: 10000,
  bootTimeoutMs: 60000,
  idleWaitMs: 5000,
  idleProbeMs: 300,
};

/** flag -> [option key, kind, scale]; kind: int | num | str | list | bool */
const FLAGS = {
  quick: ['quick', 'bool'],
  target: ['target', 'str'],
  scenarios: ['scenarios', 'strlist'],
  'gen-workers': ['genWorkers', 'int'],
  connections: ['connections', 'int'],
  'conn-devices': ['connDevices', 'int'],
  'conn-concurrency': ['connConcurrency', 'int'],
  'conn-hold-s': ['connHoldMs', 'num', 1000],
  'connect-timeout-s': ['connectTimeoutMs', 'num', 1000],
  'dm-pairs': ['dmPairs', 'int'],
  'dm-rate': ['dmRate', 'num'],
  'dm-duration-s': ['dmDurationMs', 'num', 1000],
  'dm-warmup-s': ['dmWarmupMs', 'num', 1000],
  'cold-pairs': ['coldPairs', 'int'],
  'cold-rate': ['coldRate', 'num'],
  'cold-duration-s': ['coldDurationMs', 'num', 1000],
  'overload-pairs': ['overloadPairs', 'int'],
  'overload-rate': ['overloadRate', 'num'],
  'overload-duration-s': ['overloadDurationMs', 'num', 1000],
  'storm-connections': ['stormConnections', 'int'],
  'storm-pairs': ['stormPairs', 'int'],
  'storm-dm-rate': ['stormDmRate', 'num'],
  'storm-duration-s': ['stormDurationMs', 'num', 1000],
  'group-members': ['groupMembers', 'int'],
  'group-senders': ['groupSenders', 'int'],
  'group-rate': ['groupRate', 'num'],
  'group-duration-s': ['groupDurationMs', 'num', 1000],
  'group-warmup-s': ['groupWarmupMs', 'num', 1000],
  'knee-pairs': ['kneePairs', 'int'],
  'knee-steps': ['kneeSteps', 'numlist'],
  'knee-step-s': ['kneeStepMs', 'num', 1000],
  'knee-p99-ms': ['kneeP99Ms', 'num'],
  'knee-max-s': ['kneeMaxMs', 'num', 1000],
  'knee-retries': ['kneeRetries', 'int'],
  'login-connections': ['loginConnections', 'int'],
  'login-duration-s': ['loginDurationS', 'num'],
  'history-connections': ['historyConnections', 'int'],
  'history-duration-s': ['historyDurationS', 'num'],
  'history-pairs': ['historyPairs', 'int'],
  'msg-size': ['msgSize', 'int'],
  'ack-timeout-s': ['ackTimeoutMs', 'num', 1000],
  'drain-s': ['drainMs', 'num', 1000],
  receipts: ['receipts', 'bool'],
  'receipt-delay-ms': ['receiptDelayMs', 'num'],
  'setup-concurrency': ['setupConcurrency', 'int'],
  'idle-cpu-pct': ['idleCpuPct', 'num'],
  'idle-wait-s': ['idleWaitMs', 'num', 1000],
  'server-cmd': ['serverCmd', 'str'],
  'ours-url': ['oursUrl', 'str'],
  'server-pid': ['serverPid', 'int'],
  'database-url': ['databaseUrl', 'str'],
  'redis-url': ['redisUrl', 'str'],
  workers: ['workers', 'int'],
  build: ['build', 'bool'],
  'node-env': ['nodeEnv', 'str'],
  'log-level': ['logLevel', 'str'],
  'boot-timeout-s': ['bootTimeoutMs', 'num', 1000],
  'data-parent': ['dataParent', 'str'],
  out: ['out', 'str'],
  doc: ['doc', 'str'],
  help: ['help', 'bool'],
};

class UsageError extends Error {}

function parse(argv) {
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) {
      throw new UsageError(`unexpected argument ${a}`);
    }
    a = a.slice(2);
    let value;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    let negate = false;
    if (!FLAGS[a] && a.startsWith('no-') && FLAGS[a.slice(3)] && FLAGS[a.slice(3)][1] === 'bool') {
      negate = true;
      a = a.slice(3);
    }
    const def = FLAGS[a];
    if (!def) {
      throw new UsageError(`unknown flag --${a} (see --help)`);
    }
    const [key, kind, scale = 1] = def;
    if (kind === 'bool') {
      given[key] = value === undefined ? !negate : !/^(0|false|no)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) {
        throw new UsageError(`--${a} needs a value`);
      }
    }
    if (kind === 'int' || kind === 'num') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || (kind === 'int' && !Number.isInteger(n))) {
        throw new UsageError(`--${a}: expected a ${kind === 'int' ? 'whole ' : ''}number, got ${value}`);
      }
      given[key] = n * scale;
    } else if (kind === 'numlist') {
      const list = value.split(',').map(Number);
      if (list.some((n) => !Number.isFinite(n) || n <= 0)) {
        throw new UsageError(`--${a}: expected comma-separated positive numbers`);
      }
      given[key] = list;
    } else if (kind === 'strlist') {
      given[key] = value.split(',').map((s) => s.trim()).filter(Boolean);
    } else {
      given[key] = value;
    }
  }
  const opts = { ...DEFAULTS, ...(given.quick ? QUICK : {}), ...given };
  if (!['both', 'ours', 'relay'].includes(opts.target)) {
    throw new UsageError('--target must be both, ours or relay');
  }
  for (const s of opts.scenarios) {
    if (!SCENARIOS.includes(s) && !OPTIONAL_SCENARIOS.includes(s)) {
      throw new UsageError(`unknown scenario ${s}; known: ${[...SCENARIOS, ...OPTIONAL_SCENARIOS].join(', ')}`);
    }
  }
  if (opts.workers && opts.workers > 1 && !opts.redisUrl) {
    throw new UsageError('--workers N needs --redis-url (scaled-out mode fans out through Redis)');
  }
  for (const u of [opts.databaseUrl, opts.redisUrl, opts.oursUrl].filter(Boolean)) {
    const host = new URL(u).hostname;
    if (opts.oursUrl === u && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      throw new UsageError('--ours-url must point at 127.0.0.1: the bench only targets this machine');
    }
  }
  if (opts.genWorkers < 1 || opts.connDevices < 1 || opts.dmPairs < 1 || opts.kneePairs < 1) {
    throw new UsageError('worker, device and pair counts must be at least 1');
  }
  if (opts.groupMembers < 2) {
    throw new UsageError('--group-members must be at least 2');
  }
  return opts;
}

const HELP = `npm run bench -- [flags]

  --quick                 small numbers, < 1 minute (CI keeps it working; no timing asserts)
  --target both|ours|relay            default both: the bare relay first, then our server
  --scenarios a,b,...     of ${SCENARIOS.join(', ')} (default all); opt-in: ${OPTIONAL_SCENARIOS.join(', ')}

Server under test (ours):
  --server-cmd "CMD"      start command (default: node, with the flags of package.json's start
                          script, on dist/src/main.js if newer than src/, else on a tsc build of
                          the working tree in bench/results/build/)
  --build / --no-build    npm run build first / bench dist/ as it is
  --ours-url URL          bench an already running server on 127.0.0.1 (with --server-pid PID for CPU)
  --database-url URL      external PostgreSQL instead of the embedded default
  --redis-url URL         Redis (needed for --workers N > 1)
  --workers N             WORKERS=N (scaled-out mode)
  --log-level L           server LOG_LEVEL (default warn)   --node-env E (default production)

Load:
  --gen-workers N         generator processes (default: number of cores, at least 2)
  --connections N         sockets held in the connections scenario (default 5000; 19000 is the target)
  --conn-devices N        sockets per user (default 5)      --conn-hold-s S (default 5)
  --dm-pairs N            (100)  --dm-rate MSG/S (2000)  --dm-duration-s S (20)  --dm-warmup-s S (3)
  --cold-pairs N (100) --cold-rate MSG/S (2000) --cold-duration-s S (10)      opt-in scenario cold
  --overload-pairs N (200) --overload-rate MSG/S (5000) --overload-duration-s S (10)  opt-in overload
  --storm-connections N (5000) --storm-pairs N (50) --storm-dm-rate MSG/S (500) --storm-duration-s S (10)
                          opt-in storm: N sockets drop and all reconnect at once under dm load
  --group-members N       (200)  --group-senders N (4)   --group-rate MSG/S (252)  --group-duration-s S (15)
  --knee-steps a,b,...    offered DM rates (500,...,20000)  --knee-step-s S (5)  --knee-p99-ms MS (100)
  --knee-retries N        tries more for a failing step before it counts as the knee (1)
  --login-connections N   (16)   --login-duration-s S (10)
  --history-connections N (32)   --history-duration-s S (10)
  --msg-size BYTES        message content length (100)
  --no-receipts           recipients do not send message_delivered (default: they do)
  --receipt-delay-ms MS   batch receipts per conversation for MS (default: once per event-loop turn)
  --ack-timeout-s S (10)  --drain-s S (5)
  --idle-cpu-pct P (30)   --idle-wait-s S (60): before each scenario, wait (bounded) until server + db
                          use less than P % of a core, so one scenario's backlog is not charged to the next

Output:
  --out FILE              JSON result (default bench/results/<time>-<mode>.json)
  --doc FILE              markdown report (default docs/PERFORMANCE.md; --quick writes none unless given)
`;

module.exports = { parse, HELP, UsageError, SCENARIOS };
