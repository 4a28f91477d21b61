import { describe, it } from 'node:test';
import { expect } from 'expect';
import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { isDependencyUnavailable } from './dependency-error';
import { mapError } from './error-mapping';

function pgError(code: string, message = 'pg error'): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('dependency failures', () => {
  const unavailable: [string, unknown][] = [
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['57P01 admin shutdown', pgError('57P01')],
    ['57P03 cannot connect now', pgError('57P03')],
    ['08006 connection failure', pgError('08006')],
    ['57014 statement timeout', pgError('57014')],
    ['55P03 lock timeout', pgError('55P03')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['terminated connection', new Error('Connection terminated unexpectedly')],
    ['ioredis closed connection', new Error('Connection is closed.')],
    [
      'TypeORM-wrapped pg error',
      new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection')),
    ],
    ['AggregateError of refusals', new AggregateError([pgError('ECONNREFUSED')], 'connect')],
  ];
  for (const [name, error] of unavailable) {
    it(`should answer ${name} with 503 UNAVAILABLE and a retry hint`, () => {
      expect(isDependencyUnavailable(error)).toBe(true);
      const mapped = mapError(error);
      expect(mapped.status).toBe(503);
      expect(mapped.body.code).toBe('UNAVAILABLE');
      expect(mapped.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(mapped.unexpected).toBe(false);
    });
  }

  it('should keep bugs and bad data as 500 INTERNAL', () => {
    for (const error of [
      new TypeError('x is undefined'),
      new QueryFailedError('INSERT', [], pgError('22021', 'invalid byte sequence')),
      pgError('23505'),
    ]) {
      expect(isDependencyUnavailable(error)).toBe(false);
      expect(mapError(error)).toMatchObject({ status: 500, body: { code: 'INTERNAL' } });
    }
  });

  it('should carry the retry hint of an over-capacity refusal and none on other errors', () => {
    expect(mapError(AppError.unavailable('Over capacity', 1))).toMatchObject({
      status: 503,
      body: { code: 'UNAVAILABLE', message: 'Over capacity' },
      retryAfterSeconds: 1,
    });
    expect(mapError(AppError.notFound('Group')).retryAfterSeconds).toBeUndefined();
  });
});
