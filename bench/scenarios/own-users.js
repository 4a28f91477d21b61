'use strict';
/**
 * The cold and overload scenarios need users no other scenario has paired (their conversations must
 * not exist yet): they take their own slice after the users the other scenarios share.
 */
const OWN_ORDER = ['cold', 'overload'];

/** How many users the opt-in scenarios add after the shared ones. */
function ownUsersNeeded(opts) {
  return OWN_ORDER.filter((s) => opts.scenarios.includes(s)).reduce((n, s) => n + 2 * opts[`${s}Pairs`], 0);
}

/** A ctx whose users are this scenario's own slice. */
function ownUsers(ctx, name, count) {
  const { opts } = ctx;
  let start = ctx.sharedUsers;
  for (const s of OWN_ORDER) {
    if (s === name) {
      break;
    }
    if (opts.scenarios.includes(s)) {
      start += 2 * opts[`${s}Pairs`];
    }
  }
  const users = ctx.users.slice(start, start + count);
  if (users.length < count) {
    throw new Error(`${name} needs ${count} users of its own, have ${users.length}`);
  }
  return { ...ctx, users };
}

module.exports = { ownUsers, ownUsersNeeded };
