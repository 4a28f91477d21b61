'use strict';
/**
 * storm (opt-in, issue 12): a reconnect storm under message load. N sockets of their own users
 * (several devices each) connect and settle; then all of them drop at once and, while dm pairs keep
 * sending at a fixed open-loop rate, all reconnect at once, as every client does after a restart.
 * Reports reconnects per second, connect latency, the server's RSS per held socket, and the dm
 * latency and delivery while the storm ran (the send window starts with the storm). A handshake the
 * server refuses for now (connect admission: `connect_error` UNAVAILABLE with `retryAfterMs`) is
 * retried after the hint plus jitter, as the SDK does (bench/lib/worker.js): the storm is over when
 * every socket is connected again, and the refusals are counted.
 */
const { connectAll, runPhase, checkPhase, closeAll, waitIdle } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { round, sleep } = require('../lib/util');

/** Users the storm needs: the dm pairs first, then the storm's own devices' users. */
function stormUsersNeeded(opts) {
  return 2 * opts.stormPairs + Math.ceil(opts.stormConnections / opts.connDevices);
}

async function storm(ctx) {
  const { opts, pool } = ctx;
  const P = opts.stormPairs;
  const N = opts.stormConnections;
  const U = Math.ceil(N / opts.connDevices);
  const own = ctx.users.slice(2 * P, 2 * P + U);
  if (own.length < U) {
    throw new Error(`storm needs ${2 * P + U} users, have ${ctx.users.length}`);
  }
  const specs = [];
  for (let s = 0; s < N; s++) {
    const u = own[s % U];
    specs.push({ key: `storm:${s}`, userID: u.id, token: u.token, worker: s % pool.size });
  }
  const pairs = await connectPairs({ ...ctx, users: ctx.users.slice(0, 2 * P) }, 'storm-dm', P);
  const before = ctx.sampler.rss();
  const first = await connectAll(ctx, specs);
  ctx.log(`  ${first.ok}/${N} storm sockets connected (first time) in ${(first.wallMs / 1000).toFixed(1)} s`);
  await waitIdle(ctx);

  // Everyone drops at once, then comes back at once while the dm load runs.
  const keys = specs.map((s) => s.key);
  await pool.all('close', () => ({ keys }));
  await sleep(opts.settleMs);
  const sending = runPhase(ctx, {
    tag: 'storm',
    senders: pairs.senders,
    rates: pairs.ratesFor(opts.stormDmRate),
    durationMs: opts.stormDurationMs,
    expectedFor: pairs.expectedFor,
  });
  // runPhase starts sending 200 ms after it is called: the storm starts with the load
  await sleep(200);
  const again = await connectAll(ctx, specs, { concurrency: N });
  ctx.log(
    `  ${again.ok}/${N} storm sockets reconnected in ${(again.wallMs / 1000).toFixed(1)} s` +
      ` (${again.refusals} refusals UNAVAILABLE, retried after the hint, on ${again.refusedSockets} sockets)`,
  );
  const r = await sending;
  checkPhase(ctx, 'storm', r);
  const after = ctx.sampler.rss();
  const status = await pool.all('status');
  const held = status.reduce((a, s) => a + s.connected, 0) - 2 * P;
  await closeAll(ctx);
  const rssDeltaMB = after.server !== null && before.server !== null ? after.server - before.server : null;
  return {
    sockets: N,
    users: U,
    pairs: P,
    firstConnectsPerSec: round(first.ok / (first.wallMs / 1000), 1),
    reconnected: again.ok,
    reconnectFailed: again.failed,
    reconnectWallS: round(again.wallMs / 1000, 2),
    reconnectsPerSec: round(again.ok / (again.wallMs / 1000), 1),
    reconnectRefusals: again.refusals,
    reconnectRefusedSockets: again.refusedSockets,
    reconnectLatencyMs: again.latency,
    heldAfterStorm: held,
    rssPerSocketKiB: rssDeltaMB !== null && held > 0 ? round((rssDeltaMB * 1024) / held, 2) : null,
    dmDuringStorm: r,
  };
}

module.exports = storm;
module.exports.stormUsersNeeded = stormUsersNeeded;
