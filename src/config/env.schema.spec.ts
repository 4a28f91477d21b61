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
      RATE_LIMIT_REQUESTS: 600,
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      REDIS_KEY_PREFIX: '',
      PRESENCE_INSTANCE_TTL_MS: 15_000,
      DATABASE_POOL_SIZE: 20,
      DATABASE_POOL_MIN: 20,
      DATABASE_POOL_MAX_WAITERS: 200,
      DATABASE_CONNECT_TIMEOUT_MS: 5_000,
      DATABASE_STATEMENT_TIMEOUT_MS: 15_000,
      DATABASE_LOCK_TIMEOUT_MS: 5_000,
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 60_000,
      MESSAGE_QUEUE_LIMIT: 2_000,
      MESSAGE_QUEUE_MAX_WAIT_MS: 600,
      MESSAGE_LOOP_LAG_LIMIT_MS: 300,
      MESSAGE_BATCH_INTERVAL_MS: 5,
      CONNECT_LOOP_LAG_LIMIT_MS: 0,
      CONNECT_MAX_IN_FLIGHT: 0,
    });
  });

  it('should read the pool and admission settings and refuse out-of-range ones', () => {
    expect(
      validateEnv({
        DATABASE_POOL_SIZE: '5',
        MESSAGE_QUEUE_LIMIT: '10',
        DATABASE_LOCK_TIMEOUT_MS: '0',
        CONNECT_LOOP_LAG_LIMIT_MS: '0',
        CONNECT_MAX_IN_FLIGHT: '50',
      }),
    ).toMatchObject({
      DATABASE_POOL_SIZE: 5,
      DATABASE_POOL_MIN: 5,
      MESSAGE_QUEUE_LIMIT: 10,
      DATABASE_LOCK_TIMEOUT_MS: 0,
      CONNECT_LOOP_LAG_LIMIT_MS: 0,
      CONNECT_MAX_IN_FLIGHT: 50,
    });
    expect(validateEnv({ DATABASE_POOL_SIZE: '5', DATABASE_POOL_MIN: '0' })).toMatchObject({
      DATABASE_POOL_MIN: 0,
    });
    expect(() => validateEnv({ DATABASE_POOL_SIZE: '0' })).toThrow(EnvValidationError);
    expect(() => validateEnv({ DATABASE_POOL_SIZE: '5', DATABASE_POOL_MIN: '6' })).toThrow(
      /DATABASE_POOL_MIN/,
    );
    expect(() => validateEnv({ MESSAGE_QUEUE_LIMIT: 'lots' })).toThrow(/MESSAGE_QUEUE_LIMIT/);
    expect(() => validateEnv({ CONNECT_LOOP_LAG_LIMIT_MS: '-1' })).toThrow(
      /CONNECT_LOOP_LAG_LIMIT_MS/,
    );
    expect(() => validateEnv({ CONNECT_MAX_IN_FLIGHT: 'many' })).toThrow(/CONNECT_MAX_IN_FLIGHT/);
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://x'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_MESSAGES', '-1'],
    ['RATE_LIMIT_REQUESTS', 'lots'],
    ['JWT_SECRET', 'short'],
    ['WORKERS', 'many'],
    ['WORKERS', '0'],
    ['REDIS_KEY_PREFIX', 'has space'],
    ['REDIS_KEY_PREFIX', 'x'.repeat(65)],
    ['PRESENCE_INSTANCE_TTL_MS', '500'],
    ['PRESENCE_INSTANCE_TTL_MS', 'fast'],
  ]) {
    it(`should reject ${name}=${value} naming the variable`, () => {
      expect(() => validateEnv({ [name]: value })).toThrow(EnvValidationError);
      expect(() => validateEnv({ [name]: value })).toThrow(name);
    });
  }

  it('should refuse production without JWT_SECRET', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow('JWT_SECRET');
  });

  it('should refuse DATABASE_URL (production mode) without JWT_SECRET, and accept it with one', () => {
    const databaseUrl = 'postgres://postgres@127.0.0.1:5432/app';
    expect(() => validateEnv({ DATABASE_URL: databaseUrl })).toThrow(
      /JWT_SECRET.*required with DATABASE_URL/,
    );
    const secret = 'q3J9vX2mL8pR4tY7wZ1aB6cD0eF5gH8jK2nM4pQ7sT9u';
    expect(validateEnv({ DATABASE_URL: databaseUrl, JWT_SECRET: secret }).DATABASE_URL).toBe(
      databaseUrl,
    );
  });

  for (const secret of [
    'change-me-to-32-or-more-random-characters',
    'test-secret-that-is-long-enough-for-hs256-0123456789',
    'your-jwt-secret-goes-here-make-it-long-please',
    'CHANGEME-CHANGEME-CHANGEME-CHANGEME',
    'a'.repeat(48),
    'abababababababababababababababababab',
    'secretsecretsecretsecretsecretsecret',
  ]) {
    it(`should refuse the placeholder JWT_SECRET "${secret.slice(0, 20)}..." in production`, () => {
      expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: secret })).toThrow(
        /JWT_SECRET.*(placeholder|too few)/,
      );
    });
  }

  it('should accept a random JWT_SECRET in production, and a placeholder outside it', () => {
    const secret = 'q3J9vX2mL8pR4tY7wZ1aB6cD0eF5gH8jK2nM4pQ7sT9u';
    expect(validateEnv({ NODE_ENV: 'production', JWT_SECRET: secret }).JWT_SECRET).toBe(secret);
    const placeholder = 'change-me-to-32-or-more-random-characters';
    expect(validateEnv({ NODE_ENV: 'development', JWT_SECRET: placeholder }).JWT_SECRET).toBe(
      placeholder,
    );
  });

  it('should accept zero to turn a rate limit off', () => {
    expect(validateEnv({ RATE_LIMIT_AUTH: '0' }).RATE_LIMIT_AUTH).toBe(0);
  });

  it('should accept WORKERS=auto or a count, and a Redis key prefix', () => {
    expect(validateEnv({ WORKERS: 'auto' }).WORKERS).toBe('auto');
    expect(validateEnv({ WORKERS: '4' }).WORKERS).toBe('4');
    expect(validateEnv({ REDIS_KEY_PREFIX: 'run-42:' }).REDIS_KEY_PREFIX).toBe('run-42:');
    expect(validateEnv({ PRESENCE_INSTANCE_TTL_MS: '3000' }).PRESENCE_INSTANCE_TTL_MS).toBe(3000);
  });
});
