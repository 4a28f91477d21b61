'use strict';
/**
 * knee: the DM pairs again, stepping the offered rate up; a step holds when p99 send -> receive is
 * within the limit and every message was delivered. Stops at the first step that does not hold
 * (the sockets stay connected across steps) and reports the highest rate that held.
 */
const { runPhase, checkPhase, closeAll } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { sleep, monoMs } = require('../lib/util');

async function knee(ctx) {
  const { opts } = ctx;
  const P = opts.kneePairs;
  const pairs = await connectPairs(ctx, 'kn', P);
  const steps = [];
  let highestHeld = null;
  const t0 = monoMs();
  for (let s = 0; s < opts.kneeSteps.length; s++) {
    const rate = opts.kneeSteps[s];
    if (monoMs() - t0 > opts.kneeMaxMs) {
      ctx.warn(`knee: stopped before ${rate}/s, time budget of ${opts.kneeMaxMs / 1000} s spent`);
      break;
    }
    const r = await runPhase(ctx, {
      tag: `k${s}`,
      senders: pairs.senders,
      rates: pairs.ratesFor(rate),
      durationMs: opts.kneeStepMs,
      expectedFor: pairs.expectedFor,
      trackReceipts: true,
    });
    checkPhase(ctx, `knee ${rate}/s`, r);
    const p99 = r.sendToReceiveMs.p99;
    const held = r.deliveredPct === 100 && p99 !== null && p99 <= opts.kneeP99Ms;
    steps.push({ rate, held, ...r });
    ctx.log(
      `  knee ${rate}/s: p99 ${p99} ms, delivered ${r.deliveredPct} %, ${held ? 'held' : 'did not hold'}`,
    );
    if (!held) {
      break;
    }
    highestHeld = rate;
    await sleep(opts.settleMs);
  }
  await closeAll(ctx);
  const allHeld = steps.length === opts.kneeSteps.length && steps.every((x) => x.held);
  // 0 when even the first step failed; with allHeld the true knee lies above the last step
  return { pairs: P, p99LimitMs: opts.kneeP99Ms, highestHeld: highestHeld || 0, allHeld, idleAfterConnect: pairs.idleAfterConnect, steps };
}

module.exports = knee;
