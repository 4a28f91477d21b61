'use strict';
/**
 * Small helpers shared by the runner and the client workers. No dependencies.
 */
const net = require('node:net');

/**
 * Milliseconds on CLOCK_MONOTONIC (libuv's hrtime). Unlike performance.now(), whose origin is
 * per process, this clock is the same in every process on the machine, so a timestamp taken in
 * one worker and read in another gives a valid latency.
 */
function monoMs() {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Growable Float64Array: latency samples without per-sample allocation. */
class Samples {
  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
    this.n = 0;
  }
  push(v) {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  /** A compact copy (structured clone of a view would copy the whole backing buffer). */
  take() {
    return this.buf.slice(0, this.n);
  }
}

/** Merge several Float64Arrays and sort them ascending. */
function mergeSorted(arrays) {
  let total = 0;
  for (const a of arrays) {
    total += a.length;
  }
  const out = new Float64Array(total);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  out.sort();
  return out;
}

/** Nearest-rank percentile of an ascending array; null when empty. */
function pct(sorted, p) {
  if (sorted.length === 0) {
    return null;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function summarize(sorted) {
  if (sorted.length === 0) {
    return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  }
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    sum += sorted[i];
  }
  const r = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return {
    count: sorted.length,
    p50: r(pct(sorted, 50)),
    p90: r(pct(sorted, 90)),
    p99: r(pct(sorted, 99)),
    p999: r(pct(sorted, 99.9)),
    max: r(sorted[sorted.length - 1]),
    mean: r(sum / sorted.length),
  };
}

/** A free TCP port on 127.0.0.1 (released before return; the caller binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * JSON over HTTP with a timeout. Returns {status, body, headers}; never throws on HTTP status,
 * throws on network errors and timeouts.
 */
async function httpJson(baseUrl, method, path, { body, token, timeoutMs = 30000 } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Run fn over items with at most `limit` in flight; results in input order. */
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  const lanes = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) {
    lanes.push(lane());
  }
  await Promise.all(lanes);
  return out;
}

function round(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) {
    return null;
  }
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

module.exports = { monoMs, sleep, Samples, mergeSorted, pct, summarize, freePort, httpJson, mapLimit, round };
