'use strict';
/**
 * connections: N authenticated sockets (several devices per user), held open. Reports connects per
 * second, connect latency (io() call to the server's `connected` event) and the growth of the
 * server's RSS divided by the sockets it holds.
 */
const { connectAll, closeAll } = require('../lib/phase');
const { httpJson, sleep, round } = require('../lib/util');

async function connections(ctx) {
  const { opts, users, pool } = ctx;
  const N = opts.connections;
  const U = Math.min(users.length, Math.ceil(N / opts.connDevices));
  const perWorker = Math.ceil(N / pool.size);
  if (perWorker > opts.maxSocketsPerWorker) {
    throw new Error(
      `${N} sockets over ${pool.size} generator processes is ${perWorker} per process, over the ` +
        `${opts.maxSocketsPerWorker} that fit under the open-file limit; raise --gen-workers`,
    );
  }
  const specs = [];
  for (let s = 0; s < N; s++) {
    const u = users[s % U];
    specs.push({ key: `c:${s}`, userID: u.id, token: u.token, worker: s % pool.size });
  }
  await sleep(500);
  const before = ctx.sampler.rss();
  ctx.sampler.start();
  const conn = await connectAll(ctx, specs);
  ctx.log(`  ${conn.ok}/${N} sockets connected in ${(conn.wallMs / 1000).toFixed(1)} s`);
  await sleep(opts.connHoldMs);
  const status = await pool.all('status');
  const held = status.reduce((a, s) => a + s.connected, 0);
  const after = ctx.sampler.rss();
  const procs = ctx.sampler.stop();
  let healthConnections = null;
  try {
    const h = await httpJson(ctx.url, 'GET', '/health', { timeoutMs: 10000 });
    healthConnections = h.body && typeof h.body.activeConnections === 'number' ? h.body.activeConnections : null;
  } catch {
    healthConnections = null;
  }
  if (held < conn.ok) {
    ctx.warn(`connections: ${conn.ok - held} socket(s) dropped while held`);
  }
  await closeAll(ctx);
  const rssDeltaMB = after.server !== null ? after.server - before.server : null;
  return {
    sockets: N,
    users: U,
    devicesPerUser: round(N / U, 2),
    connected: conn.ok,
    failed: conn.failed,
    heldAfterHold: held,
    holdS: opts.connHoldMs / 1000,
    connectWallS: round(conn.wallMs / 1000, 2),
    connectsPerSec: round(conn.ok / (conn.wallMs / 1000), 1),
    connectLatencyMs: conn.latency,
    healthActiveConnections: healthConnections,
    serverRssBeforeMB: round(before.server, 1),
    serverRssAfterMB: round(after.server, 1),
    rssPerSocketKiB: rssDeltaMB !== null && held > 0 ? round((rssDeltaMB * 1024) / held, 2) : null,
    dbRssAfterMB: round(after.db, 1),
    procs,
  };
}

module.exports = connections;
