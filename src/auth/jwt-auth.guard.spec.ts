import { describe, it } from 'node:test';
import { Reflector } from '@nestjs/core';
import { expect } from 'expect';
import { AppError } from '../common/errors/app-error';
import { JwtAuthGuard } from './jwt-auth.guard';

describe('JwtAuthGuard.handleRequest', () => {
  const guard = new JwtAuthGuard(new Reflector());
  const codeOf = (run: () => unknown): string | undefined => {
    try {
      run();
    } catch (error) {
      return error instanceof AppError ? error.code : 'raw';
    }
    return undefined;
  };

  it('should answer a missing or bad token with UNAUTHORIZED', () => {
    expect(codeOf(() => guard.handleRequest(null, false))).toBe('UNAUTHORIZED');
  });

  it('should answer an unreachable database with UNAVAILABLE, not UNAUTHORIZED', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(codeOf(() => guard.handleRequest(refused, false))).toBe('UNAVAILABLE');
    expect(
      codeOf(() =>
        guard.handleRequest(new Error('timeout exceeded when trying to connect'), false),
      ),
    ).toBe('UNAVAILABLE');
  });

  it('should let other failures through as errors (500), not UNAUTHORIZED', () => {
    expect(codeOf(() => guard.handleRequest(new TypeError('bug'), false))).toBe('raw');
  });

  it('should pass the user through', () => {
    const user = { userId: 'u' };
    expect(guard.handleRequest(null, user)).toBe(user);
  });
});
