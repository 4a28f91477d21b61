import { describe, it } from 'node:test';
import { expect } from 'expect';
import { EnvValidationError, validateEnv } from './env.schema';

describe('validateEnv', () => {
  it('should apply the documented defaults to an empty environment', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      RATE_LIMIT_AUTH: 20,
      RATE_LIMIT_LOGIN_FAILURES: 10,
      RATE_LIMIT_MESSAGES: 30,
      RATE_LIMIT_TYPING: 10,
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
    });
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://x'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_MESSAGES', '-1'],
    ['JWT_SECRET', 'short'],
    ['WORKERS', 'many'],
  ]) {
    it(`should reject ${name}=${value} naming the variable`, () => {
      expect(() => validateEnv({ [name]: value })).toThrow(EnvValidationError);
      expect(() => validateEnv({ [name]: value })).toThrow(name);
    });
  }

  it('should refuse production without JWT_SECRET', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow('JWT_SECRET');
  });

  it('should accept zero to turn a rate limit off', () => {
    expect(validateEnv({ RATE_LIMIT_AUTH: '0' }).RATE_LIMIT_AUTH).toBe(0);
  });
});
