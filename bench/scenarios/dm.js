'use strict';
/**
 * dm: P pairs exchange direct messages at a fixed offered rate for a fixed time, open loop. A short
 * warm-up at a quarter of the rate comes first and is not measured (both servers get it).
 */
const { runPhase, checkPhase, closeAll } = require('../lib/phase');
const { connectPairs } = require('./pairs');

async function dm(ctx) {
  const { opts } = ctx;
  const P = opts.dmPairs;
  const pairs = await connectPairs(ctx, 'dm', P);
  if (opts.dmWarmupMs > 0) {
    const w = await runPhase(ctx, {
      tag: 'dmw',
      senders: pairs.senders,
      rates: pairs.ratesFor(opts.dmRate / 4),
      durationMs: opts.dmWarmupMs,
      expectedFor: pairs.expectedFor,
      sample: false,
    });
    checkPhase(ctx, 'dm warm-up', w);
  }
  const r = await runPhase(ctx, {
    tag: 'dm',
    senders: pairs.senders,
    rates: pairs.ratesFor(opts.dmRate),
    durationMs: opts.dmDurationMs,
    expectedFor: pairs.expectedFor,
    trackReceipts: true,
  });
  checkPhase(ctx, 'dm', r);
  await closeAll(ctx);
  return { pairs: P, rate: opts.dmRate, idleAfterConnect: pairs.idleAfterConnect, ...r };
}

module.exports = dm;
