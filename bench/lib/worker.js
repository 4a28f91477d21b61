'use strict';
/**
 * A load-generator process (forked by bench/lib/pool.js; one per core by default). It owns a share of
 * the client sockets and answers RPC commands from the runner over IPC:
 *
 *   connect    open authenticated sockets and wait for the server's `connected` event
 *   begin      start a measurement phase (a tag that marks this phase's messages)
 *   send       open-loop sends at a fixed rate from this worker's senders
 *   drain      wait until the expected deliveries arrived (or a bounded time passed)
 *   collect    end the phase, return counters and raw latency samples
 *   close      disconnect sockets
 *   status     socket counts, disconnect reasons, memory
 *
 * Every message's content carries its scheduled send time on CLOCK_MONOTONIC, which every process on
 * the machine shares, so a receiver in another worker computes send -> receive latency from the time
 * the send was *scheduled* (open loop: a stalled server or generator is charged for the delay).
 * Receivers confirm delivery with `message_delivered` like a real client: the highest seq received per
 * conversation, once per event-loop turn (a client that reads a burst confirms the last of it).
 */
const { io } = require('socket.io-client');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { monoMs, sleep, Samples, mapLimit } = require('./util');

const sockets = new Map(); // key -> entry
let phase = null;
let workerId = 0;
let receiptDelayMs = 0;
let sendReceipts = true;
const totals = { disconnects: {}, serverErrors: 0, stale: 0 };
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function newPhase(tag) {
  return {
    tag,
    prefix: `B|${tag}|`,
    trackReceipts: false,
    sent: 0,
    acked: 0,
    ackTimeouts: 0,
    ackErrors: 0,
    errorCodes: {},
    notConnected: 0,
    outstanding: 0,
    received: 0,
    duplicates: 0,
    receipts: 0,
    ackedBy: {},
    conversations: {},
    lastReceiveAt: 0,
    sendLat: new Samples(),
    ackLat: new Samples(),
    lag: new Samples(),
    receiptLat: new Samples(),
    firstSendAt: 0,
    lastSendAt: 0,
    // per TIMELINE_BUCKET_MS of scheduled send time: acked latencies, refusals, timeouts
    timeline: [],
    startAt: 0,
  };
}

const TIMELINE_BUCKET_MS = 500;

/** The timeline bucket of a send scheduled at `sched` (created on first use). */
function bucketOf(ph, sched) {
  const i = Math.max(0, Math.floor((sched - ph.startAt) / TIMELINE_BUCKET_MS));
  while (ph.timeline.length <= i) {
    ph.timeline.push({ ackLat: [], refused: 0, timeouts: 0 });
  }
  return ph.timeline[i];
}

/** Per socket, per conversation: which seqs arrived (duplicates are counted, not re-measured). */
function markSeen(entry, conversationID, seq) {
  let seen = entry.seen.get(conversationID);
  if (!seen) {
    seen = new Uint8Array(Math.max(64, seq + 1));
    entry.seen.set(conversationID, seen);
  } else if (seq >= seen.length) {
    const next = new Uint8Array(Math.max(seq + 1, seen.length * 2));
    next.set(seen);
    seen = next;
    entry.seen.set(conversationID, seen);
  }
  if (seen[seq]) {
    return false;
  }
  seen[seq] = 1;
  return true;
}

function flushReceipts(entry) {
  entry.receiptTimer = null;
  const pending = entry.pendingReceipts;
  entry.pendingReceipts = new Map();
  if (!entry.sock.connected) {
    return;
  }
  for (const [conversationID, seq] of pending) {
    entry.sock.emit('message_delivered', { conversationID, seq });
  }
}

function queueReceipt(entry, conversationID, seq) {
  if (!sendReceipts || typeof conversationID !== 'string' || !Number.isInteger(seq)) {
    return;
  }
  const prev = entry.pendingReceipts.get(conversationID);
  if (prev === undefined || seq > prev) {
    entry.pendingReceipts.set(conversationID, seq);
  }
  if (!entry.receiptTimer) {
    entry.receiptTimer =
      receiptDelayMs > 0
        ? setTimeout(flushReceipts, receiptDelayMs, entry)
        : setImmediate(flushReceipts, entry);
  }
}

function onMessage(entry, m) {
  const now = monoMs();
  if (!m || typeof m !== 'object') {
    return;
  }
  queueReceipt(entry, m.conversationID, m.seq);
  const ph = phase;
  const c = m.content;
  if (!ph || typeof c !== 'string' || !c.startsWith(ph.prefix)) {
    totals.stale++;
    return;
  }
  if (Number.isInteger(m.seq) && !markSeen(entry, m.conversationID, m.seq)) {
    ph.duplicates++;
    return;
  }
  const end = c.indexOf('|', ph.prefix.length);
  const sched = Number(c.slice(ph.prefix.length, end));
  ph.received++;
  ph.lastReceiveAt = now;
  ph.sendLat.push(now - sched);
}

function onReceipt(entry, evt) {
  const ph = phase;
  if (!ph || !evt) {
    return;
  }
  ph.receipts++;
  if (!ph.trackReceipts) {
    return;
  }
  const sent = entry.sentSeqs.get(evt.conversationID);
  if (!sent || sent.size === 0) {
    return;
  }
  const now = monoMs();
  for (const [seq, sched] of sent) {
    if (seq <= evt.seq) {
      ph.receiptLat.push(now - sched);
      sent.delete(seq);
    }
  }
}

function connectOne(url, spec, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = monoMs();
    const sock = io(url, {
      path: '/ws',
      auth: { token: spec.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
    });
    const entry = {
      key: spec.key,
      userID: spec.userID,
      sock,
      seen: new Map(),
      pendingReceipts: new Map(),
      receiptTimer: null,
      sentSeqs: new Map(),
    };
    let done = false;
    let refusedHintMs;
    const finish = (err) => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      if (err) {
        sock.removeAllListeners();
        sock.close();
        resolve({ ok: false, error: err, retryAfterMs: refusedHintMs });
      } else {
        sockets.set(spec.key, entry);
        resolve({ ok: true, ms: monoMs() - t0 });
      }
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs + 1000);
    sock.on('message', (m) => onMessage(entry, m));
    sock.on('message_delivered', (e) => onReceipt(entry, e));
    sock.on('error', () => {
      totals.serverErrors++;
    });
    sock.once('connected', () => finish(null));
    sock.on('connect_error', (e) => {
      const data = (e && e.data) || {};
      if (e && e.message === 'UNAVAILABLE' && typeof data.retryAfterMs === 'number') {
        refusedHintMs = data.retryAfterMs;
      }
      finish(`connect_error: ${(e && e.message) || e}`);
    });
    sock.on('disconnect', (reason) => {
      if (!done) {
        finish(`disconnect: ${reason}`);
        return;
      }
      if (reason !== 'io client disconnect') {
        totals.disconnects[reason] = (totals.disconnects[reason] || 0) + 1;
      }
    });
  });
}

/** The SDK's wait after a hint (libs/sdk retry.ts hintedDelay): the hint plus up to half of it again. */
function hintedDelay(hintMs) {
  return Math.round(hintMs + Math.random() * Math.min(2_000, Math.max(100, hintMs / 2)));
}

/** Longest a socket keeps coming back after UNAVAILABLE refusals (connect admission). */
const REFUSED_RETRY_BUDGET_MS = 120_000;

/**
 * Connects like the SDK: a handshake refused UNAVAILABLE with `retryAfterMs` (connect admission) is
 * retried after the hint plus jitter, until it connects or the budget is spent; any other failure
 * is final. Latency counts from the first attempt.
 */
async function connectRetrying(url, spec, timeoutMs) {
  const t0 = monoMs();
  let refusals = 0;
  for (;;) {
    const r = await connectOne(url, spec, timeoutMs);
    if (r.ok || r.retryAfterMs === undefined || monoMs() - t0 > REFUSED_RETRY_BUDGET_MS) {
      return { ...r, ms: monoMs() - t0, refusals };
    }
    refusals++;
    await sleep(hintedDelay(r.retryAfterMs));
  }
}

const handlers = {
  init(args) {
    workerId = args.workerId;
    receiptDelayMs = args.receiptDelayMs || 0;
    sendReceipts = args.receipts !== false;
    return { pid: process.pid };
  },

  async connect({ url, specs, concurrency, timeoutMs }) {
    const t0 = monoMs();
    const lat = new Samples();
    const errors = {};
    let ok = 0;
    let refusals = 0;
    let refusedSockets = 0;
    await mapLimit(specs, concurrency, async (spec) => {
      const r = await connectRetrying(url, spec, timeoutMs);
      refusals += r.refusals;
      refusedSockets += r.refusals > 0 ? 1 : 0;
      if (r.ok) {
        ok++;
        lat.push(r.ms);
      } else {
        const k = String(r.error).slice(0, 120);
        errors[k] = (errors[k] || 0) + 1;
      }
    });
    return {
      ok,
      failed: specs.length - ok,
      errors,
      refusals,
      refusedSockets,
      lat: lat.take(),
      wallMs: monoMs() - t0,
    };
  },

  begin({ tag, trackReceipts }) {
    phase = newPhase(tag);
    phase.trackReceipts = !!trackReceipts;
    for (const e of sockets.values()) {
      e.sentSeqs.clear();
    }
    loop.reset();
    return true;
  },

  /**
   * Open-loop sends: message k is due at startAt + k / rate seconds, whatever happened to message
   * k-1. Senders take turns. The loop is bounded by count (rate * duration) and so by time.
   */
  send({ senders, rate, durationMs, startAt, msgSize, ackTimeoutMs }) {
    const ph = phase;
    const total = Math.floor((rate * durationMs) / 1000);
    if (!ph || total === 0 || senders.length === 0) {
      return Promise.resolve({ scheduled: 0 });
    }
    const interval = 1000 / rate;
    ph.startAt = startAt;
    const entries = senders.map((s) => ({ s, e: sockets.get(s.key) }));
    const pad = 'x'.repeat(msgSize);
    let k = 0;
    const sendOne = (i, sched, now) => {
      const { s, e } = entries[i % entries.length];
      ph.lag.push(now - sched);
      if (!e || !e.sock.connected) {
        ph.notConnected++;
        return;
      }
      const head = `${ph.prefix}${sched.toFixed(3)}|`;
      const content = head.length < msgSize ? head + pad.slice(head.length) : head;
      const payload = s.groupID
        ? { groupID: s.groupID, content, clientMessageID: `${ph.tag}.${workerId}.${i}` }
        : { recipientID: s.recipientID, content, clientMessageID: `${ph.tag}.${workerId}.${i}` };
      ph.sent++;
      ph.outstanding++;
      e.sock.timeout(ackTimeoutMs).emit('send_message', payload, (err, res) => {
        ph.outstanding--;
        if (err) {
          ph.ackTimeouts++;
          bucketOf(ph, sched).timeouts++;
          return;
        }
        if (res && res.success) {
          ph.acked++;
          ph.ackLat.push(monoMs() - sched);
          bucketOf(ph, sched).ackLat.push(monoMs() - sched);
          ph.ackedBy[s.key] = (ph.ackedBy[s.key] || 0) + 1;
          const d = res.data;
          if (d && !ph.conversations[s.key]) {
            ph.conversations[s.key] = d.conversationID;
          }
          if (ph.trackReceipts && d && Number.isInteger(d.seq)) {
            let m = e.sentSeqs.get(d.conversationID);
            if (!m) {
              m = new Map();
              e.sentSeqs.set(d.conversationID, m);
            }
            m.set(d.seq, sched);
          }
        } else {
          bucketOf(ph, sched).refused++;
          ph.ackErrors++;
          const code = (res && res.error && res.error.code) || 'NO_ERROR_CODE';
          ph.errorCodes[code] = (ph.errorCodes[code] || 0) + 1;
        }
      });
    };
    return new Promise((resolve) => {
      const tick = () => {
        const now = monoMs();
        if (k === 0) {
          ph.firstSendAt = now;
        }
        while (k < total && startAt + k * interval <= now) {
          sendOne(k, startAt + k * interval, now);
          k++;
        }
        if (k >= total) {
          ph.lastSendAt = now;
          resolve({ scheduled: total });
          return;
        }
        const wait = startAt + k * interval - monoMs();
        setTimeout(tick, Math.max(0, Math.floor(wait)));
      };
      const first = startAt - monoMs();
      setTimeout(tick, Math.max(0, Math.floor(first)));
    });
  },

  /**
   * Wait for outstanding acks and for `expected` deliveries to this worker's sockets; bounded by
   * maxMs. With expected null, wait until nothing arrived for quietMs.
   */
  async drain({ expected, maxMs, quietMs = 500 }) {
    const ph = phase;
    const deadline = monoMs() + maxMs;
    while (ph && monoMs() < deadline) {
      const now = monoMs();
      const acksDone = ph.outstanding === 0;
      if (expected !== null && expected !== undefined) {
        if (acksDone && ph.received >= expected) {
          break;
        }
      } else if (acksDone && now - Math.max(ph.lastReceiveAt, ph.lastSendAt) > quietMs) {
        break;
      }
      await sleep(10);
    }
    return { received: ph ? ph.received : 0, outstanding: ph ? ph.outstanding : 0 };
  },

  peek() {
    const ph = phase;
    return ph ? { ackedBy: ph.ackedBy, acked: ph.acked, received: ph.received, outstanding: ph.outstanding } : null;
  },

  collect() {
    const ph = phase;
    phase = null;
    if (!ph) {
      return null;
    }
    const r = {
      tag: ph.tag,
      sent: ph.sent,
      acked: ph.acked,
      ackTimeouts: ph.ackTimeouts,
      ackErrors: ph.ackErrors,
      errorCodes: ph.errorCodes,
      notConnected: ph.notConnected,
      outstanding: ph.outstanding,
      received: ph.received,
      duplicates: ph.duplicates,
      receipts: ph.receipts,
      ackedBy: ph.ackedBy,
      conversations: ph.conversations,
      lastReceiveAt: ph.lastReceiveAt,
      sendLat: ph.sendLat.take(),
      ackLat: ph.ackLat.take(),
      lag: ph.lag.take(),
      receiptLat: ph.receiptLat.take(),
      loopP99: loop.percentile(99) / 1e6,
      loopMax: loop.max / 1e6,
      timeline: ph.timeline.map((b) => ({ ackLat: Float64Array.from(b.ackLat), refused: b.refused, timeouts: b.timeouts })),
    };
    return r;
  },

  async close({ keys } = {}) {
    const list = keys ? keys.map((k) => sockets.get(k)).filter(Boolean) : [...sockets.values()];
    for (const e of list) {
      if (e.receiptTimer) {
        clearTimeout(e.receiptTimer);
        clearImmediate(e.receiptTimer);
      }
      e.sock.removeAllListeners();
      e.sock.close();
      sockets.delete(e.key);
    }
    await sleep(50);
    return { closed: list.length };
  },

  status() {
    let connected = 0;
    for (const e of sockets.values()) {
      if (e.sock.connected) {
        connected++;
      }
    }
    return {
      sockets: sockets.size,
      connected,
      disconnects: { ...totals.disconnects },
      serverErrors: totals.serverErrors,
      stale: totals.stale,
      rssMB: Math.round(process.memoryUsage().rss / 1048576),
    };
  },
};

process.on('message', async (msg) => {
  const { id, cmd, args } = msg;
  try {
    const result = await handlers[cmd](args || {});
    process.send({ id, ok: true, result });
  } catch (err) {
    process.send({ id, ok: false, error: (err && err.stack) || String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
