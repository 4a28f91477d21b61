'use strict';
/**
 * Start and stop the servers under test. Each runs in its own process group on a free port of
 * 127.0.0.1; readiness is GET /health answering 200. Stopping sends SIGTERM to that group, then
 * SIGKILL after a grace period, then removes the temporary DATA_DIR.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { freePort, httpJson, sleep } = require('./util');

const ROOT = path.resolve(__dirname, '..', '..');

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitHealthy(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`server exited with code ${child.exitCode} before it was ready:\n${tail(logFile)}`);
    }
    try {
      const r = await httpJson(url, 'GET', '/health', { timeoutMs: 2000 });
      if (r.status === 200) {
        return r.body;
      }
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(250);
  }
  throw new Error(`server not healthy after ${timeoutMs / 1000} s (${last}):\n${tail(logFile)}`);
}

/** Newest modification time of the .ts files under the given folders (bounded walk). */
function newestSource(dirs) {
  let newest = 0;
  let seen = 0;
  const stack = dirs.map((d) => path.join(ROOT, d));
  while (stack.length && seen < 20000) {
    const dir = stack.pop();
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      seen++;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        stack.push(p);
      } else if (e.name.endsWith('.ts')) {
        newest = Math.max(newest, fs.statSync(p).mtimeMs);
      }
    }
  }
  return newest;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'pipe', encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) {
    throw new Error(`${what} failed (${r.status}):\n${(r.stdout || '').slice(-2000)}${(r.stderr || '').slice(-2000)}`);
  }
}

/**
 * Decide which build of our server to run; returns the path of its main.js. dist/src/main.js when
 * it is newer than every source file (CI builds right before the bench). When it is missing or
 * stale, the working tree is compiled with tsc into bench/results/build/ rather than dist/: other
 * tools in the same tree (tests, a running server) use dist/, and the bench must not pull it from
 * under them. --build runs the official `npm run build` into dist/ first. A failed build is a real
 * error.
 */
function ensureBuilt(opts, log) {
  if (opts.serverCmd || opts.oursUrl) {
    return null;
  }
  const dist = path.join(ROOT, 'dist', 'src', 'main.js');
  if (opts.build === true) {
    log('building the server (npm run build)...');
    run('npm', ['run', 'build'], 'npm run build');
    return dist;
  }
  const fresh = fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newestSource(['src', 'libs']);
  if (fresh || opts.build === false) {
    if (!fs.existsSync(dist)) {
      throw new Error(`${dist} is missing and --no-build was given`);
    }
    if (!fresh) {
      log('  warning: dist/ is older than src/ (--no-build): benching the old build');
    }
    return dist;
  }
  const out = path.join(ROOT, 'bench', 'results', 'build');
  log(`dist/ is ${fs.existsSync(dist) ? 'older than src/' : 'missing'}: compiling the working tree into ${path.relative(ROOT, out)}/ (tsc)`);
  fs.rmSync(out, { recursive: true, force: true });
  run(
    process.execPath,
    [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', 'tsconfig.build.json', '--outDir', out, '--tsBuildInfoFile', path.join(out, '.tsbuildinfo')],
    'tsc -p tsconfig.build.json',
  );
  const main = path.join(out, 'src', 'main.js');
  if (!fs.existsSync(main)) {
    throw new Error(`tsc produced no ${main}`);
  }
  return main;
}

/**
 * The Node flags of package.json's start script (`node <flags> dist/src/main.js`), so the bench runs
 * the server as `npm start` does.
 */
function startScriptNodeFlags() {
  const start = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const match = /^node((?:\s+-\S+)*)\s+dist\/src\/main\.js$/.exec(start.trim());
  if (!match) {
    throw new Error(`package.json's start script is not "node [flags] dist/src/main.js": ${start}`);
  }
  return match[1].trim().split(/\s+/).filter(Boolean);
}

/**
 * @returns {Promise<{kind, url, pid: () => number|null, describe, stop: () => Promise<void>}>}
 */
async function startTarget(kind, opts, runDir, log) {
  if (kind === 'ours' && opts.oursUrl) {
    const url = opts.oursUrl.replace(/\/$/, '');
    await waitHealthy(url, null, null, opts.bootTimeoutMs);
    return {
      kind,
      url,
      pid: () => opts.serverPid || null,
      describe: `already running at ${url}${opts.serverPid ? ` (pid ${opts.serverPid})` : ' (no CPU/RSS: pass --server-pid)'}`,
      stop: async () => {},
    };
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(runDir, `server-${kind}.log`);
  const out = fs.openSync(logFile, 'a');
  let cmd;
  let args;
  let env;
  let dataDir = null;
  let describe;
  if (kind === 'relay') {
    cmd = process.execPath;
    args = [path.join(ROOT, 'bench', 'baseline', 'relay.js')];
    env = { ...process.env, PORT: String(port) };
    describe = 'bench/baseline/relay.js (bare Socket.IO relay, in-memory, no auth)';
  } else {
    dataDir = fs.mkdtempSync(path.join(opts.dataParent || os.tmpdir(), 'bench-data-'));
    fs.chmodSync(dataDir, 0o755);
    env = { ...process.env };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'WORKERS']) {
      delete env[k];
    }
    Object.assign(env, {
      PORT: String(port),
      DATA_DIR: dataDir,
      NODE_ENV: opts.nodeEnv,
      LOG_LEVEL: opts.logLevel,
      JWT_SECRET: crypto.randomBytes(32).toString('hex'),
      RATE_LIMIT_AUTH: '0',
      RATE_LIMIT_MESSAGES: '0',
      RATE_LIMIT_TYPING: '0',
      RATE_LIMIT_LOGIN_FAILURES: '0',
      RATE_LIMIT_REQUESTS: '0',
    });
    if (opts.databaseUrl) {
      env.DATABASE_URL = opts.databaseUrl;
    }
    if (opts.redisUrl) {
      env.REDIS_URL = opts.redisUrl;
    }
    if (opts.workers) {
      env.WORKERS = String(opts.workers);
    }
    if (opts.serverCmd) {
      cmd = '/bin/sh';
      args = ['-c', opts.serverCmd];
    } else {
      cmd = process.execPath;
      args = [...startScriptNodeFlags(), opts.serverMain || path.join(ROOT, 'dist', 'src', 'main.js')];
    }
    describe =
      `${opts.serverCmd || `node ${args.map((arg) => (arg.startsWith('-') ? arg : path.relative(ROOT, arg))).join(' ')}`}, ` +
      (opts.databaseUrl ? 'external PostgreSQL (DATABASE_URL)' : 'embedded PostgreSQL (fresh DATA_DIR)') +
      (opts.workers ? `, WORKERS=${opts.workers}` : '') +
      (opts.redisUrl ? ', Redis (REDIS_URL)' : '') +
      `, NODE_ENV=${opts.nodeEnv}, LOG_LEVEL=${opts.logLevel}, rate limits off`;
  }
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const t0 = Date.now();
  let stopped = false;
  const stop = async () => {
    if (stopped) {
      return;
    }
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + opts.stopTimeoutMs;
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
        await sleep(100);
      }
    }
    // the group may outlive its leader (postgres children): make sure it is gone
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* group empty */
    }
    if (dataDir) {
      await sleep(300);
      fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    }
  };
  try {
    await waitHealthy(url, child, logFile, opts.bootTimeoutMs);
  } catch (e) {
    await stop();
    throw e;
  }
  log(`  ${kind} ready at ${url} in ${((Date.now() - t0) / 1000).toFixed(1)} s (log: ${path.relative(ROOT, logFile)})`);
  return {
    kind,
    url,
    pid: () => (child.exitCode === null ? child.pid : null),
    describe,
    stop,
    dataDir,
    bootS: (Date.now() - t0) / 1000,
  };
}

module.exports = { startTarget, ensureBuilt, ROOT };
