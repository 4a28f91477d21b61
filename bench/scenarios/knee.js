'use strict';
/**
 * knee: the DM pairs again, stepping the offered rate up; a step holds when p99 send -> receive is
 * within the limit and every message was delivered. Stops at the first step that does not hold
 * (the sockets stay connected across steps; a failing step gets one more try) and reports the
 * highest rate that held.
 */
const { runPhase, checkPhase, closeAll, waitIdle } = require('../lib/phase');
const { connectPairs } = require('./pairs');
const { sleep, monoMs } = require('../lib/util');

async function knee(ctx) {
  const { opts } = ctx;
  const P = opts.kneePairs;
  const pairs = await connectPairs(ctx, 'kn', P);
  if (opts.kneeWarmupMs > 0) {
    // unmeasured, like dm's: the first step should not pay for the sockets just connected
    const w = await runPhase(ctx, {
      tag: 'kw',
      senders: pairs.senders,
      rates: pairs.ratesFor(opts.kneeSteps[0] / 2),
      durationMs: opts.kneeWarmupMs,
      expectedFor: pairs.expectedFor,
      sample: false,
    });
    checkPhase(ctx, 'knee warm-up', w);
  }
  const steps = [];
  let highestHeld = null;
  const t0 = monoMs();
  let tagN = 0;
  for (const rate of opts.kneeSteps) {
    if (monoMs() - t0 > opts.kneeMaxMs) {
      ctx.warn(`knee: stopped before ${rate}/s, time budget of ${opts.kneeMaxMs / 1000} s spent`);
      break;
    }
    // a step that fails is run once more before the knee is declared: one stall (GC, autovacuum,
    // a neighbour on the machine) should not set the figure; both attempts stay in the results
    let held = false;
    for (let attempt = 1; attempt <= 1 + opts.kneeRetries && !held; attempt++) {
      const r = await runPhase(ctx, {
        tag: `k${tagN++}`,
        senders: pairs.senders,
        rates: pairs.ratesFor(rate),
        durationMs: opts.kneeStepMs,
        expectedFor: pairs.expectedFor,
        trackReceipts: true,
      });
      checkPhase(ctx, `knee ${rate}/s`, r);
      const p99 = r.sendToReceiveMs.p99;
      held = r.deliveredPct === 100 && p99 !== null && p99 <= opts.kneeP99Ms;
      steps.push({ rate, attempt, held, ...r });
      ctx.log(
        `  knee ${rate}/s${attempt > 1 ? ` (attempt ${attempt})` : ''}: p99 ${p99} ms, delivered ${r.deliveredPct} %, ${held ? 'held' : 'did not hold'}`,
      );
      await waitIdle(ctx);
    }
    if (!held) {
      break;
    }
    highestHeld = rate;
    await sleep(opts.settleMs);
  }
  await closeAll(ctx);
  const last = steps[steps.length - 1];
  const allHeld = !!last && last.held && last.rate === opts.kneeSteps[opts.kneeSteps.length - 1];
  // 0 when even the first step failed; with allHeld the true knee lies above the last step
  return { pairs: P, p99LimitMs: opts.kneeP99Ms, highestHeld: highestHeld || 0, allHeld, idleAfterConnect: pairs.idleAfterConnect, steps };
}

module.exports = knee;
