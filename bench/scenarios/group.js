'use strict';
/**
 * group: one group of M members, all online (one socket each), S of them sending at a combined
 * fixed rate, open loop. Every message fans out to the M - 1 other members, who confirm delivery.
 * Membership is set up over HTTP before the sockets connect.
 */
const { connectAll, runPhase, checkPhase, closeAll, waitIdle } = require('../lib/phase');
const { createGroup } = require('../lib/setup');

async function group(ctx) {
  const { opts, users, pool } = ctx;
  const M = opts.groupMembers;
  const S = Math.min(opts.groupSenders, M);
  if (users.length < M) {
    throw new Error(`group of ${M} needs ${M} users, have ${users.length}`);
  }
  const members = users.slice(0, M);
  const g = await createGroup(ctx.url, members[0], members, `bench ${ctx.runId}`);
  const W = pool.size;
  const specs = members.map((u, j) => ({ key: `g:${u.i}`, userID: u.id, token: u.token, worker: j % W }));
  const conn = await connectAll(ctx, specs);
  if (conn.ok < M) {
    throw new Error(`group: only ${conn.ok}/${M} sockets connected`);
  }
  const idleAfterConnect = await waitIdle(ctx);
  const senders = Array.from({ length: W }, () => []);
  for (let j = 0; j < S; j++) {
    senders[specs[j].worker].push({ key: specs[j].key, groupID: g.id });
  }
  const membersIn = new Array(W).fill(0);
  for (const s of specs) {
    membersIn[s.worker]++;
  }
  const workerOf = new Map(specs.map((s) => [s.key, s.worker]));
  const expectedFor = (ackedBy) =>
    membersIn.map((n, w) => {
      let e = 0;
      for (const [key, acked] of Object.entries(ackedBy)) {
        // each message reaches every member but its sender
        e += acked * (workerOf.get(key) === w ? n - 1 : n);
      }
      return e;
    });
  const rates = senders.map((list) => (opts.groupRate * list.length) / S);
  if (opts.groupWarmupMs > 0) {
    const w = await runPhase(ctx, {
      tag: 'grw',
      senders,
      rates: rates.map((r) => r / 4),
      durationMs: opts.groupWarmupMs,
      expectedFor,
      sample: false,
      recipientsPerMessage: M - 1,
    });
    checkPhase(ctx, 'group warm-up', w);
  }
  const r = await runPhase(ctx, {
    tag: 'gr',
    senders,
    rates,
    durationMs: opts.groupDurationMs,
    expectedFor,
    recipientsPerMessage: M - 1,
  });
  checkPhase(ctx, 'group', r);
  await closeAll(ctx);
  return { members: M, senders: S, rate: opts.groupRate, idleAfterConnect, ...r };
}

module.exports = group;
