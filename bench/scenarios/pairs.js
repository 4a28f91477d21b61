'use strict';
/**
 * Direct-message pairs: users 2p and 2p+1 talk to each other, both ways, and both live in the same
 * generator process (pair p goes to worker p mod W), so each worker knows how many deliveries to
 * expect. Offered rate is split over workers by their share of pairs.
 */
const { connectAll, waitIdle } = require('../lib/phase');

function buildPairs(ctx, prefix, P) {
  const { users, pool } = ctx;
  if (users.length < 2 * P) {
    throw new Error(`${P} pairs need ${2 * P} users, have ${users.length}`);
  }
  const W = pool.size;
  const specs = [];
  const senders = Array.from({ length: W }, () => []);
  const pairsIn = new Array(W).fill(0);
  for (let p = 0; p < P; p++) {
    const a = users[2 * p];
    const b = users[2 * p + 1];
    const w = p % W;
    pairsIn[w]++;
    specs.push({ key: `${prefix}:${a.i}`, userID: a.id, token: a.token, worker: w });
    specs.push({ key: `${prefix}:${b.i}`, userID: b.id, token: b.token, worker: w });
    senders[w].push({ key: `${prefix}:${a.i}`, recipientID: b.id });
    senders[w].push({ key: `${prefix}:${b.i}`, recipientID: a.id });
  }
  return {
    specs,
    senders,
    ratesFor: (rate) => pairsIn.map((n) => (rate * n) / P),
    // every DM lands on a socket in the sender's own worker
    expectedFor: (ackedBy) =>
      senders.map((list) => list.reduce((a, s) => a + (ackedBy[s.key] || 0), 0)),
  };
}

async function connectPairs(ctx, prefix, P) {
  const pairs = buildPairs(ctx, prefix, P);
  const conn = await connectAll(ctx, pairs.specs);
  if (conn.ok < pairs.specs.length) {
    throw new Error(`${prefix}: only ${conn.ok}/${pairs.specs.length} sockets connected`);
  }
  pairs.idleAfterConnect = await waitIdle(ctx);
  return pairs;
}

module.exports = { buildPairs, connectPairs };
