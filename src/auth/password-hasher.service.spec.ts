import { describe, it } from 'node:test';
import { expect } from 'expect';
import { AppError } from '../common/errors/app-error';
import { PasswordHasher } from './password-hasher.service';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('should accept the right password and refuse a wrong one', async () => {
    const hash = await hasher.hash('correct-horse-battery');
    expect(await hasher.verify(hash, 'correct-horse-battery')).toBe(true);
    expect(await hasher.verify(hash, 'wrong-password')).toBe(false);
    expect(await hasher.verify(null, 'anything-at-all')).toBe(false);
  });

  it('should answer INTERNAL, not a mismatch, when the stored hash cannot be checked', async () => {
    const failure = await hasher.verify('$argon2id$v=19$corrupt', 'whatever-password').then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('INTERNAL');
  });
});
