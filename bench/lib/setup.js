'use strict';
/**
 * Setup through the public HTTP API, as a client would: register and log in users, create a group,
 * join it. Any non-2xx answer is a real error (the bench cannot measure a server that refuses it).
 */
const { httpJson, mapLimit, monoMs } = require('./util');

class SetupError extends Error {}

function expectOk(res, what) {
  if (res.status < 200 || res.status >= 300 || !res.body || res.body.success !== true) {
    const body = JSON.stringify(res.body).slice(0, 300);
    throw new SetupError(`${what}: HTTP ${res.status} ${body}`);
  }
  return res.body.data;
}

/**
 * Register and log in n users (names unique to this run). Returns users and the achieved rates,
 * which are figures in their own right (password hashing bounds both).
 */
async function createUsers(baseUrl, n, prefix, { concurrency = 8, log = () => {} } = {}) {
  const password = 'bench-password-1234';
  const idx = Array.from({ length: n }, (_, i) => i);
  const t0 = monoMs();
  const registered = await mapLimit(idx, concurrency, async (i) => {
    const username = `${prefix}_${i}`;
    const res = await httpJson(baseUrl, 'POST', '/api/users/register', {
      body: { username, email: `${username}@bench.example.com`, password },
    });
    const data = expectOk(res, `register ${username}`);
    return { i, id: data.id, username, password };
  });
  const t1 = monoMs();
  log(`  registered ${n} users in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const users = await mapLimit(registered, concurrency, async (u) => {
    const res = await httpJson(baseUrl, 'POST', '/api/users/login', {
      body: { username: u.username, password: u.password },
    });
    const data = expectOk(res, `login ${u.username}`);
    if (!data.accessToken) {
      throw new SetupError(`login ${u.username}: no data.accessToken`);
    }
    return { ...u, id: (data.user && data.user.id) || u.id, token: data.accessToken };
  });
  const t2 = monoMs();
  log(`  logged in ${n} users in ${((t2 - t1) / 1000).toFixed(1)} s`);
  return {
    users,
    registerPerSec: n / ((t1 - t0) / 1000),
    loginPerSec: n / ((t2 - t1) / 1000),
    concurrency,
  };
}

async function createGroup(baseUrl, owner, members, name, { concurrency = 16 } = {}) {
  const res = await httpJson(baseUrl, 'POST', '/api/groups', {
    token: owner.token,
    body: { name, visibility: 'public' },
  });
  const group = expectOk(res, 'create group');
  await mapLimit(
    members.filter((m) => m.id !== owner.id),
    concurrency,
    async (m) => {
      const r = await httpJson(baseUrl, 'POST', `/api/groups/${group.id}/join`, { token: m.token });
      expectOk(r, `join group as ${m.username}`);
    },
  );
  return group;
}

module.exports = { createUsers, createGroup, expectOk, SetupError };
