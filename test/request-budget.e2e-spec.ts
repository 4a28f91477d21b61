import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Response } from 'supertest';
import { registerUser, uniqueUsername } from './utils/factories';
import { createTestApp, type TestApp } from './utils/test-app';

const BUDGET = 6;
const POLICY = `"default";q=${BUDGET};w=60`;
const STATE = /^"default";r=(\d+);t=(\d+)$/;

let nextAddress = 10;
/** A fresh client IP per test (Express trusts X-Forwarded-For from loopback), so budgets don't mix. */
function freshIp(): string {
  nextAddress += 1;
  return `203.0.113.${nextAddress}`;
}

/** Signs a user up from its own client IP (sign-up counts against the IP's budget). */
async function signUp(app: TestApp): Promise<{ auth: string }> {
  const ip = freshIp();
  const username = uniqueUsername('budget');
  const password = 'correct-horse-battery';
  await app
    .http()
    .post('/api/users/register')
    .set('X-Forwarded-For', ip)
    .send({ username, email: `${username}@example.com`, password })
    .expect(201);
  const login = await app
    .http()
    .post('/api/users/login')
    .set('X-Forwarded-For', ip)
    .send({ username, password })
    .expect(200);
  return { auth: `Bearer ${(login.body as { data: { accessToken: string } }).data.accessToken}` };
}

function remaining(response: Response): number {
  expect(response.headers['ratelimit-policy']).toBe(POLICY);
  const match = STATE.exec(String(response.headers['ratelimit']));
  expect(match).not.toBeNull();
  const seconds = Number(match![2]);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  return Number(match![1]);
}

describe('general request budget (RATE_LIMIT_REQUESTS)', () => {
  let app: TestApp;
  let alice: { auth: string };

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_REQUESTS: String(BUDGET) } });
    alice = await signUp(app);
  });

  after(async () => {
    await app.close();
  });

  it('should put the RateLimit headers on success and on every kind of error answer', async () => {
    const ip = freshIp();
    const answers = [
      await app.http().get('/api/users/me').set('Authorization', alice.auth).expect(200),
      await app.http().get('/api/users/me').set('X-Forwarded-For', ip).expect(401),
      await app.http().get('/api/no-such-route').set('X-Forwarded-For', ip).expect(404),
      await app
        .http()
        .post('/api/users/login')
        .set('X-Forwarded-For', ip)
        .send({ username: 'x' })
        .expect(400),
      await app
        .http()
        .post('/api/messages/send')
        .set('Authorization', alice.auth)
        .set('Content-Type', 'application/json')
        .send(`{"content":"${'x'.repeat(70 * 1024)}"}`)
        .expect(413),
    ];
    for (const answer of answers) {
      expect(remaining(answer)).toBeLessThan(BUDGET);
    }
  });

  it('should count per user once signed in, and per client IP before', async () => {
    const bob = await signUp(app);
    const first = await app.http().get('/api/users/me').set('Authorization', bob.auth).expect(200);
    expect(remaining(first)).toBe(BUDGET - 1);
    const ip = freshIp();
    const anonymous = await app.http().get('/api/users').set('X-Forwarded-For', ip).expect(401);
    expect(remaining(anonymous)).toBe(BUDGET - 1);
    const forged = await app
      .http()
      .get('/api/users/me')
      .set('X-Forwarded-For', ip)
      .set('Authorization', 'Bearer not.a.token')
      .expect(401);
    expect(remaining(forged)).toBe(BUDGET - 2);
  });

  it('should answer 429 RATE_LIMITED with Retry-After past the budget, for that caller only', async () => {
    const carol = await signUp(app);
    const dave = await signUp(app);
    for (let i = BUDGET - 1; i >= 0; i -= 1) {
      const ok = await app.http().get('/api/users/me').set('Authorization', carol.auth).expect(200);
      expect(remaining(ok)).toBe(i);
    }
    const limited = await app
      .http()
      .get('/api/users/me')
      .set('Authorization', carol.auth)
      .expect(429);
    expect(limited.body).toMatchObject({
      success: false,
      error: { code: 'RATE_LIMITED', message: expect.any(String) },
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(remaining(limited)).toBe(0);
    await app.http().get('/api/users/me').set('Authorization', dave.auth).expect(200);

    const ip = freshIp();
    for (let i = 0; i < BUDGET; i += 1) {
      await app.http().get('/api/users').set('X-Forwarded-For', ip).expect(401);
    }
    await app.http().get('/api/users').set('X-Forwarded-For', ip).expect(429);
  });

  it('should leave /health outside the budget', async () => {
    const health = await app.http().get('/health');
    expect(health.headers['ratelimit']).toBeUndefined();
  });
});

describe('general request budget turned off (RATE_LIMIT_REQUESTS=0)', () => {
  let app: TestApp;

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_REQUESTS: '0' } });
  });

  after(async () => {
    await app.close();
  });

  it('should send no RateLimit headers and never answer 429', async () => {
    const user = await registerUser(app, 'nobudget');
    for (let i = 0; i < 20; i += 1) {
      const response = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', user.auth)
        .expect(200);
      expect(response.headers['ratelimit']).toBeUndefined();
      expect(response.headers['ratelimit-policy']).toBeUndefined();
    }
  });
});
