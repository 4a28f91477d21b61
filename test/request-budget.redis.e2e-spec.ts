import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { createTestApp, type TestApp } from './utils/test-app';

const REDIS_URL = process.env.REDIS_URL ?? '';
const BUDGET = 4;

describe('general request budget across instances (Redis)', () => {
  let first: TestApp;
  let second: TestApp;

  before(async () => {
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: `budget-${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_REQUESTS: String(BUDGET),
    };
    first = await createTestApp({ env });
    second = await createTestApp({ env, databaseUrl: first.databaseUrl });
  });

  after(async () => {
    await second?.close().catch(() => undefined);
    await first?.close();
  });

  it('should share one budget per client between the instances', async () => {
    const ip = '198.51.100.7';
    const seen: string[] = [];
    for (let i = 0; i < BUDGET; i += 1) {
      const target = i % 2 === 0 ? first : second;
      const response = await target.http().get('/api/users').set('X-Forwarded-For', ip).expect(401);
      seen.push(String(response.headers['ratelimit']));
    }
    expect(seen.map((value) => /r=(\d+)/.exec(value)?.[1])).toEqual(['3', '2', '1', '0']);
    const limited = await second.http().get('/api/users').set('X-Forwarded-For', ip).expect(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    await first.http().get('/api/users').set('X-Forwarded-For', ip).expect(429);
  });
});
