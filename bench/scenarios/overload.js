'use strict';
/**
 * overload: dm on users of their own, cold, offered above what the machine carries (default
 * 5,000/s for 10 s from 400 users). The server should ack what it can at a bounded latency and answer
 * the rest UNAVAILABLE at once (counted as shed, not as errors); ack timeouts mean it queued without
 * bound. Reports goodput (acked/s), shed count and the acked latency.
 */
const { runPhase, checkPhase, closeAll } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { ownUsers } = require('./own-users');

async function overload(ctx) {
  const { opts } = ctx;
  const P = opts.overloadPairs;
  const pairs = await connectPairs(ownUsers(ctx, 'overload', 2 * P), 'overload', P);
  const r = await runPhase(ctx, {
    tag: 'overload',
    senders: pairs.senders,
    rates: pairs.ratesFor(opts.overloadRate),
    durationMs: opts.overloadDurationMs,
    expectedFor: pairs.expectedFor,
  });
  checkPhase(ctx, 'overload', r);
  await closeAll(ctx);
  const seconds = opts.overloadDurationMs / 1000;
  return {
    pairs: P,
    rate: opts.overloadRate,
    goodputPerSec: Math.round(r.acked / seconds),
    shed: (r.errorCodes && r.errorCodes.UNAVAILABLE) || 0,
    ...r,
  };
}

module.exports = overload;
