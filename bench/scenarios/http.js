'use strict';
/**
 * http: autocannon against two routes with latency.
 *   login    POST /api/users/login, rotating over a set of users (password hashing bounds it)
 *   history  GET /api/messages/history/{conversationID}?limit=50 with a Bearer token, rotating over
 *            direct conversations seeded with 60 messages each by the same generator
 * Any non-2xx answer is an error: rate limits are off and every request is valid.
 */
const autocannon = require('autocannon');
const { runPhase, checkPhase, closeAll } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { httpJson, round } = require('../lib/util');

function cannon(opts) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    inst.on('error', () => {});
  });
}

function shape(res) {
  const l = res.latency;
  return {
    requestsPerSec: round(res.requests.average, 1),
    total: res.requests.total,
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p99_9, max: l.max, mean: round(l.average, 2) },
    connections: res.connections,
    durationS: res.duration,
  };
}

async function seedHistory(ctx) {
  const H = ctx.opts.historyPairs;
  const pairs = await connectPairs(ctx, 'hs', H);
  const perSender = 30;
  const rate = Math.min(1000, H * 2 * 100);
  const r = await runPhase(ctx, {
    tag: 'hs',
    senders: pairs.senders,
    rates: pairs.ratesFor(rate),
    durationMs: Math.ceil(((H * 2 * perSender) / rate) * 1000),
    expectedFor: pairs.expectedFor,
    sample: false,
    keepConversations: true,
  });
  checkPhase(ctx, 'history seed', r);
  await closeAll(ctx);
  const targets = [];
  for (let p = 0; p < H; p++) {
    const a = ctx.users[2 * p];
    const conv = r.conversations[`hs:${a.i}`];
    if (conv) {
      targets.push({ path: `/api/messages/history/${conv}?limit=50`, token: a.token });
    }
  }
  if (targets.length === 0) {
    throw new Error('history seed: no conversation ids in the send acks');
  }
  const check = await httpJson(ctx.url, 'GET', targets[0].path, { token: targets[0].token });
  const page = check.body && check.body.data;
  if (check.status !== 200 || !Array.isArray(page)) {
    throw new Error(`history: HTTP ${check.status} ${JSON.stringify(check.body).slice(0, 200)}`);
  }
  if (page.length !== 50) {
    ctx.warn(`history: first page has ${page.length} messages, expected 50`);
  }
  return targets;
}

async function http(ctx) {
  const { opts, users } = ctx;
  const out = {};

  const logins = users.slice(0, Math.min(50, users.length));
  let li = 0;
  ctx.sampler.start();
  const login = await cannon({
    url: ctx.url,
    connections: opts.loginConnections,
    duration: opts.loginDurationS,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/users/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const u = logins[li++ % logins.length];
          return { ...req, body: JSON.stringify({ username: u.username, password: u.password }) };
        },
      },
    ],
  });
  out.login = { ...shape(login), procs: ctx.sampler.stop() };

  const targets = await seedHistory(ctx);
  let hi = 0;
  ctx.sampler.start();
  const history = await cannon({
    url: ctx.url,
    connections: opts.historyConnections,
    duration: opts.historyDurationS,
    timeout: 30,
    requests: [
      {
        method: 'GET',
        path: targets[0].path,
        setupRequest: (req) => {
          const t = targets[hi++ % targets.length];
          return { ...req, path: t.path, headers: { ...req.headers, authorization: `Bearer ${t.token}` } };
        },
      },
    ],
  });
  out.history = { ...shape(history), conversations: targets.length, procs: ctx.sampler.stop() };

  for (const [name, r] of Object.entries(out)) {
    if (r.non2xx > 0) {
      ctx.error(`http ${name}: ${r.non2xx} non-2xx response(s)`);
    }
    if (r.errors > 0 || r.timeouts > 0) {
      ctx.warn(`http ${name}: ${r.errors} connection error(s), ${r.timeouts} timeout(s)`);
    }
  }
  return out;
}

module.exports = http;
