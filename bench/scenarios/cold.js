'use strict';
/**
 * cold: dm on users that have never talked (their own slice of users, so every pair's conversation
 * is created during the measurement) with no warm-up: what a deploy or a restart looks like, when
 * every active conversation is new to the process (issue 12: p99 <= 250 ms at 2,000/s, 100 %).
 */
const { runPhase, checkPhase, closeAll } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { ownUsers } = require('./own-users');

async function cold(ctx) {
  const { opts } = ctx;
  const P = opts.coldPairs;
  const pairs = await connectPairs(ownUsers(ctx, 'cold', 2 * P), 'cold', P);
  const r = await runPhase(ctx, {
    tag: 'cold',
    senders: pairs.senders,
    rates: pairs.ratesFor(opts.coldRate),
    durationMs: opts.coldDurationMs,
    expectedFor: pairs.expectedFor,
  });
  checkPhase(ctx, 'cold', r);
  await closeAll(ctx);
  return { pairs: P, rate: opts.coldRate, ...r };
}

module.exports = cold;
