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

/** Build dist/ if it is missing (or when asked); a failed build is a real error. */
function ensureBuilt(opts, log) {
  const main = path.join(ROOT, 'dist', 'src', 'main.js');
  if (opts.serverCmd || opts.oursUrl) {
    return;
  }
  if (opts.build === false && !fs.existsSync(main)) {
    throw new Error(`${main} is missing and --no-build was given`);
  }
  if (opts.build === true || !fs.existsSync(main)) {
    log('building the server (npm run build)...');
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8', timeout: 600000 });
    if (r.status !== 0 || !fs.existsSync(main)) {
      throw new Error(`npm run build failed (${r.status}):\n${(r.stdout || '').slice(-2000)}${(r.stderr || '').slice(-2000)}`);
    }
  }
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
      args = [path.join(ROOT, 'dist', 'src', 'main.js')];
    }
    describe =
      `${opts.serverCmd || 'node dist/src/main.js'}, ` +
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
