'use strict';
/**
 * Building blocks the scenarios share: connect sockets across the worker processes, run one
 * open-loop send phase and merge what the workers measured.
 */
const { monoMs, sleep, mergeSorted, summarize, round } = require('./util');
const { DbStats } = require('./dbstats');

/**
 * Connect sockets; spec = {key, userID, token, worker}. Connect failures whose reason is a timeout
 * are load symptoms (warnings); any other failure (an auth refusal, a server error) is an error.
 */
async function connectAll(ctx, specs, { concurrency, timeoutMs } = {}) {
  const W = ctx.pool.size;
  const per = Array.from({ length: W }, () => []);
  for (const s of specs) {
    per[s.worker].push({ key: s.key, userID: s.userID, token: s.token });
  }
  const conc = Math.max(1, Math.floor((concurrency || ctx.opts.connConcurrency) / W));
  const t0 = monoMs();
  const rs = await ctx.pool.all('connect', (i) => ({
    url: ctx.url,
    specs: per[i],
    concurrency: conc,
    timeoutMs: timeoutMs || ctx.opts.connectTimeoutMs,
  }));
  const wallMs = monoMs() - t0;
  const errors = {};
  let ok = 0;
  let failed = 0;
  let refusals = 0;
  let refusedSockets = 0;
  for (const r of rs) {
    ok += r.ok;
    failed += r.failed;
    refusals += r.refusals || 0;
    refusedSockets += r.refusedSockets || 0;
    for (const [k, v] of Object.entries(r.errors)) {
      errors[k] = (errors[k] || 0) + v;
    }
  }
  for (const [k, v] of Object.entries(errors)) {
    const msg = `${v} socket connect(s) failed: ${k}`;
    if (/timeout/i.test(k)) {
      ctx.warn(msg);
    } else {
      ctx.error(msg);
    }
  }
  return {
    requested: specs.length,
    ok,
    failed,
    errors,
    // handshakes refused UNAVAILABLE (connect admission) and retried after the hint, and the
    // sockets that saw at least one such refusal
    refusals,
    refusedSockets,
    wallMs,
    latency: summarize(mergeSorted(rs.map((r) => r.lat))),
  };
}

async function closeAll(ctx) {
  await ctx.pool.all('close', () => ({}));
  // let the server process the disconnects (presence, room cleanup) before the next scenario
  await sleep(ctx.opts.settleMs);
}

/**
 * One measured phase. senders[w] lists {key, recipientID|groupID} for worker w; rates[w] is that
 * worker's share of the offered rate. expectedFor(ackedBy) returns, per worker, how many deliveries
 * its sockets should get given how many sends each sender had acknowledged.
 */
async function runPhase(ctx, { tag, senders, rates, durationMs, expectedFor, trackReceipts, sample = true, recipientsPerMessage = 1, keepConversations = false }) {
  const { pool, opts } = ctx;
  await pool.all('begin', () => ({ tag, trackReceipts }));
  // the server's event loop and GC over this phase (send window and drain)
  const runtimeWindow = sample && ctx.runtime ? await ctx.runtime.start() : null;
  const startAt = monoMs() + 200; // every worker starts on the same clock tick
  if (sample) {
    ctx.sampler.start();
  }
  // database counters over the steady middle of the window (PostgreSQL flushes them about once a second)
  let dbA = null;
  let dbTimer = null;
  if (sample && ctx.dbStats && durationMs >= 3000) {
    const at = startAt + Math.min(2000, durationMs * 0.25) - monoMs();
    dbTimer = setTimeout(() => {
      dbA = Promise.all([ctx.dbStats.snapshot(), pool.all('peek')]).catch(() => null);
    }, at);
  }
  const sendResults = await pool.all('send', (i) => ({
    senders: senders[i],
    rate: rates[i],
    durationMs,
    startAt,
    msgSize: opts.msgSize,
    ackTimeoutMs: opts.ackTimeoutMs,
  }));
  const procs = sample ? ctx.sampler.stop() : null;
  const sendEnd = monoMs();
  clearTimeout(dbTimer);
  let db = null;
  if (dbA) {
    const a = await dbA;
    const b = await Promise.all([ctx.dbStats.snapshot(), pool.all('peek')]).catch(() => null);
    if (a && b) {
      const count = (peeks, k) => peeks.reduce((x, p) => x + (p ? p[k] : 0), 0);
      db = DbStats.diff(a[0], b[0], count(b[1], 'acked') - count(a[1], 'acked'), count(b[1], 'received') - count(a[1], 'received'));
    }
  }
  // acks first, then the deliveries they imply
  await pool.all('drain', () => ({ expected: 0, maxMs: opts.ackTimeoutMs + 1000 }));
  const peek = await pool.all('peek', () => ({}));
  const ackedBy = {};
  for (const p of peek) {
    Object.assign(ackedBy, p.ackedBy);
  }
  const expected = expectedFor(ackedBy);
  const remaining = Math.max(500, opts.drainMs - (monoMs() - sendEnd));
  await pool.all('drain', (i) => ({ expected: expected[i], maxMs: remaining }));
  const runtime = runtimeWindow ? await ctx.runtime.stop(runtimeWindow) : null;
  const rs = await pool.all('collect', () => ({}));
  const scheduled = sendResults.reduce((a, r) => a + r.scheduled, 0);
  const merged = merge(rs, { scheduled, startAt, durationMs, recipientsPerMessage, procs, expectedTotal: expected.reduce((a, b) => a + b, 0) });
  merged.db = db;
  merged.runtime = runtime;
  if (keepConversations) {
    merged.conversations = Object.assign({}, ...rs.map((r) => r.conversations));
  }
  return merged;
}

function merge(rs, { scheduled, startAt, durationMs, recipientsPerMessage, procs, expectedTotal }) {
  const sum = (k) => rs.reduce((a, r) => a + r[k], 0);
  const errorCodes = {};
  for (const r of rs) {
    for (const [k, v] of Object.entries(r.errorCodes)) {
      errorCodes[k] = (errorCodes[k] || 0) + v;
    }
  }
  const received = sum('received');
  const lastReceiveAt = Math.max(0, ...rs.map((r) => r.lastReceiveAt || 0));
  // deliveries over the send window, stretched to the last delivery when the server lags behind
  const windowS = Math.max(durationMs, lastReceiveAt - startAt) / 1000;
  const expectedDeliveries = scheduled * recipientsPerMessage;
  return {
    offeredPerSec: round(scheduled / (durationMs / 1000), 1),
    durationS: durationMs / 1000,
    scheduled,
    sent: sum('sent'),
    acked: sum('acked'),
    ackErrors: sum('ackErrors'),
    ackTimeouts: sum('ackTimeouts'),
    errorCodes,
    notConnected: sum('notConnected'),
    expectedDeliveries,
    expectedAfterAcks: expectedTotal,
    received,
    duplicates: sum('duplicates'),
    receipts: sum('receipts'),
    deliveredPct: expectedDeliveries ? round((received / expectedDeliveries) * 100, 3) : null,
    deliveriesPerSec: round(received / windowS, 1),
    sendToReceiveMs: summarize(mergeSorted(rs.map((r) => r.sendLat))),
    sendToAckMs: summarize(mergeSorted(rs.map((r) => r.ackLat))),
    sendToReceiptMs: summarize(mergeSorted(rs.map((r) => r.receiptLat))),
    generatorLagMs: summarize(mergeSorted(rs.map((r) => r.lag))),
    generatorLoopDelayP99Ms: round(Math.max(...rs.map((r) => r.loopP99)), 1),
    generatorLoopDelayMaxMs: round(Math.max(...rs.map((r) => r.loopMax)), 1),
    timeline: mergeTimeline(rs),
    procs,
  };
}

/**
 * Per half second of scheduled send time: sends acked (with their ack latency), refused and timed
 * out. Shows when in a window the tail happened (the first second of a cold start, a stall).
 */
function mergeTimeline(rs) {
  const length = Math.max(0, ...rs.map((r) => (r.timeline || []).length));
  const out = [];
  for (let i = 0; i < length; i++) {
    const buckets = rs.map((r) => (r.timeline || [])[i]).filter(Boolean);
    const lat = summarize(mergeSorted(buckets.map((b) => b.ackLat)));
    out.push({
      fromS: i / 2,
      acked: lat.count,
      refused: buckets.reduce((a, b) => a + b.refused, 0),
      timeouts: buckets.reduce((a, b) => a + b.timeouts, 0),
      ackP50Ms: lat.p50,
      ackP99Ms: lat.p99,
      ackMaxMs: lat.max,
    });
  }
  return out;
}

/**
 * Measurements start from an idle server: an overloaded scenario leaves a backlog (queued sends,
 * receipts), and connecting sockets triggers catch-up of unconfirmed messages; either would
 * otherwise be charged to the next measurement. Used before each scenario and after each connect. Waits, bounded, until server
 * and database together use less than --idle-cpu-pct of a core over a short probe.
 */
async function waitIdle(ctx) {
  const { opts, sampler } = ctx;
  const t0 = monoMs();
  let busy = null;
  while (monoMs() - t0 < opts.idleWaitMs) {
    sampler.start();
    await sleep(opts.idleProbeMs);
    const p = sampler.stop();
    if (!p.server) {
      return { waitedS: 0, busyPct: null };
    }
    busy = p.server.cpuAvgPct + (p.db ? p.db.cpuAvgPct : 0);
    if (busy < opts.idleCpuPct) {
      return { waitedS: round((monoMs() - t0) / 1000, 1), busyPct: busy };
    }
  }
  ctx.warn(`server still busy (${busy} % of a core) after ${opts.idleWaitMs / 1000} s; starting anyway`);
  return { waitedS: round((monoMs() - t0) / 1000, 1), busyPct: busy };
}

/**
 * Record error acks as errors: the server refused a well-formed request it should accept. UNAVAILABLE
 * is the server shedding load on purpose (admission control): a warning, counted as shed.
 */
function checkPhase(ctx, name, r) {
  for (const [code, n] of Object.entries(r.errorCodes)) {
    if (code === 'UNAVAILABLE') {
      ctx.warn(`${name}: ${n} send(s) shed with UNAVAILABLE`);
    } else {
      ctx.error(`${name}: ${n} send_message error ack(s) with code ${code}`);
    }
  }
  if (r.ackTimeouts) {
    ctx.warn(`${name}: ${r.ackTimeouts} send_message ack(s) timed out`);
  }
  if (r.notConnected) {
    ctx.warn(`${name}: ${r.notConnected} send(s) skipped on a disconnected socket`);
  }
}

module.exports = { connectAll, closeAll, runPhase, checkPhase, waitIdle };
