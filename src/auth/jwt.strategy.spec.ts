import { KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import { expect } from 'expect';
import { sign, verify } from 'jsonwebtoken';
import { JwtStrategy } from './jwt.strategy';
import type { TokenService } from './token.service';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';

/** The key passport-jwt will hand to jsonwebtoken for every HTTP request. */
function keyOf(strategy: JwtStrategy): Promise<unknown> {
  const provider = (
    strategy as unknown as {
      _secretOrKeyProvider: (
        request: unknown,
        raw: string,
        done: (error: Error | null, key: unknown) => void,
      ) => void;
    }
  )._secretOrKeyProvider;
  return new Promise((resolve, reject) =>
    provider(null, '', (error, key) => (error ? reject(error) : resolve(key))),
  );
}

describe('JwtStrategy', () => {
  it('should verify HTTP tokens with a KeyObject made once, not the secret string', async () => {
    const config = new ConfigService({
      auth: { jwtSecret: SECRET, issuer: 'messaging-api', audience: 'messaging-api-clients' },
    });
    const strategy = new JwtStrategy(config as never, {} as TokenService);
    const key = await keyOf(strategy);
    expect(key).toBeInstanceOf(KeyObject);
    expect(await keyOf(strategy)).toBe(key);
    // The same tokens still verify (signed with the string, checked with the key).
    const token = sign({ sub: 'u' }, SECRET, { algorithm: 'HS256' });
    expect(verify(token, key as KeyObject, { algorithms: ['HS256'] })).toMatchObject({ sub: 'u' });
  });
});
