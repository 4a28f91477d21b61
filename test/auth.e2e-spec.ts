import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import jwt from 'jsonwebtoken';
import type { Response } from 'supertest';
import { expectError } from './utils/api';
import { registerUser, uniqueUsername, type RegisteredUser } from './utils/factories';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ISSUER = 'messaging-api';
const AUDIENCE = 'messaging-api-clients';
const PASSWORD = 'correct-horse-battery';

function expectValidation(response: Response, field?: string): void {
  expectError(response, 400, 'VALIDATION_FAILED');
  if (field !== undefined) {
    expect(response.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]),
    );
  }
}

function newAccount(prefix = 'auth') {
  const username = uniqueUsername(prefix);
  return { username, email: `${username}@example.com`, password: PASSWORD };
}

describe('auth', () => {
  let app: TestApp;

  before(async () => {
    app = await createTestApp();
  });

  after(async () => {
    await app.close();
  });

  describe('POST /api/users/register', () => {
    it('should create the account and answer 201 with the user', async () => {
      const account = newAccount();
      const response = await app.http().post('/api/users/register').send(account).expect(201);
      expect(response.body).toEqual({
        success: true,
        data: expect.objectContaining({
          id: expect.stringMatching(UUID),
          username: account.username,
          email: account.email,
          status: 'offline',
          createdAt: expect.stringMatching(ISO_UTC),
        }),
      });
      expect(response.body.data).not.toHaveProperty('password');
      expect(response.body.data).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(response.body)).not.toContain(PASSWORD);
    });

    it('should accept passwords of exactly 8 and 128 characters', async () => {
      for (const password of ['x'.repeat(8), 'y'.repeat(128)]) {
        const account = { ...newAccount(), password };
        await app.http().post('/api/users/register').send(account).expect(201);
        await app
          .http()
          .post('/api/users/login')
          .send({ username: account.username, password })
          .expect(200);
      }
    });

    it('should accept usernames of 3 and 32 characters of A-Za-z0-9_.-', async () => {
      const suffix = randomUUID().slice(0, 2);
      for (const username of [`a${suffix}`, `Z.-_${randomUUID().replace(/-/g, '')}`.slice(0, 32)]) {
        await app
          .http()
          .post('/api/users/register')
          .send({ username, email: `${username}@example.com`, password: PASSWORD })
          .expect(201);
      }
    });

    for (const missing of ['username', 'email', 'password']) {
      it(`should reject a body without ${missing} with 400 naming it`, async () => {
        const account: Record<string, string> = newAccount();
        delete account[missing];
        const response = await app.http().post('/api/users/register').send(account);
        expectValidation(response, missing);
      });
    }

    const wrongTypes: [string, unknown][] = [
      ['username', 12345],
      ['username', ['abc']],
      ['username', { name: 'abc' }],
      ['username', null],
      ['email', 42],
      ['email', true],
      ['password', 12345678],
      ['password', ['a-long-password']],
    ];
    for (const [field, value] of wrongTypes) {
      it(`should reject ${field}=${JSON.stringify(value)} (wrong type) with 400`, async () => {
        const response = await app
          .http()
          .post('/api/users/register')
          .send({ ...newAccount(), [field]: value });
        expectValidation(response, field);
      });
    }

    it('should reject an unknown extra field with 400 and details, not ignore it', async () => {
      const account = newAccount();
      const response = await app
        .http()
        .post('/api/users/register')
        .send({ ...account, isAdmin: true });
      expectValidation(response, 'isAdmin');
      await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username, password: PASSWORD })
        .expect(401);
    });

    const badUsernames = [
      'ab',
      'a'.repeat(33),
      'has space',
      'bang!',
      'émile',
      'semi;colon',
      'nul\u0000name',
      'slash/name',
      '',
      '   ',
    ];
    for (const username of badUsernames) {
      it(`should reject the username ${JSON.stringify(username)}`, async () => {
        const response = await app
          .http()
          .post('/api/users/register')
          .send({ username, email: `${uniqueUsername()}@example.com`, password: PASSWORD });
        expectValidation(response, 'username');
      });
    }

    for (const password of ['', 'short', '1234567', 'p'.repeat(129)]) {
      it(`should reject a password of ${password.length} characters`, async () => {
        const response = await app
          .http()
          .post('/api/users/register')
          .send({ ...newAccount(), password });
        expectValidation(response, 'password');
      });
    }

    for (const email of ['not-an-email', 'a@', '@example.com', 'a b@example.com', '']) {
      it(`should reject the email ${JSON.stringify(email)}`, async () => {
        const response = await app
          .http()
          .post('/api/users/register')
          .send({ ...newAccount(), email });
        expectValidation(response, 'email');
      });
    }

    it('should reject malformed JSON with 400, not 500', async () => {
      const response = await app
        .http()
        .post('/api/users/register')
        .set('Content-Type', 'application/json')
        .send('{"username": "abc", ');
      expectValidation(response);
    });

    it('should reject a non-JSON body with 400', async () => {
      const response = await app
        .http()
        .post('/api/users/register')
        .set('Content-Type', 'text/plain')
        .send('username=abc&password=12345678');
      expectValidation(response);
    });

    it('should answer an unsupported charset or encoding with 400 VALIDATION_FAILED, never a code and status that disagree', async () => {
      const charset = await app
        .http()
        .post('/api/users/register')
        .set('Content-Type', 'application/json; charset=latin1')
        .send('{"username":"abc"}');
      expectValidation(charset);
      const encoding = await app
        .http()
        .post('/api/users/register')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'x-unknown')
        .send('{}');
      expectValidation(encoding);
      const gzip = await app
        .http()
        .post('/api/users/register')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('not gzip at all');
      expectValidation(gzip);
    });

    it('should reject an empty body with 400', async () => {
      const response = await app.http().post('/api/users/register');
      expectValidation(response);
    });

    for (const [label, raw] of [
      ['an array', '[{"username":"abc"}]'],
      ['an empty array', '[]'],
      ['a string', '"hello"'],
      ['a number', '42'],
      ['null', 'null'],
    ]) {
      it(`should reject a JSON body that is ${label} with 400`, async () => {
        const response = await app
          .http()
          .post('/api/users/register')
          .set('Content-Type', 'application/json')
          .send(raw);
        expectValidation(response);
      });
    }

    it('should reject a body over 64 KiB with 413 PAYLOAD_TOO_LARGE', async () => {
      const response = await app
        .http()
        .post('/api/users/register')
        .send({ ...newAccount(), padding: 'x'.repeat(65 * 1024) });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('should answer 409 CONFLICT for a username taken in another case', async () => {
      const account = newAccount('Dup');
      await app.http().post('/api/users/register').send(account).expect(201);
      const response = await app
        .http()
        .post('/api/users/register')
        .send({
          username: account.username.toUpperCase(),
          email: `other_${account.email}`,
          password: PASSWORD,
        });
      expectError(response, 409, 'CONFLICT');
    });

    it('should answer 409 CONFLICT for an email taken in another case', async () => {
      const account = newAccount('dupmail');
      await app.http().post('/api/users/register').send(account).expect(201);
      const response = await app
        .http()
        .post('/api/users/register')
        .send({
          username: uniqueUsername('dupmail'),
          email: account.email.toUpperCase(),
          password: PASSWORD,
        });
      expectError(response, 409, 'CONFLICT');
    });

    it('should let exactly one of 10 concurrent registrations of one username win', async () => {
      const base = uniqueUsername('race').toLowerCase();
      const variants = Array.from({ length: 10 }, (_, i) =>
        [...base].map((c, j) => ((i >> (j % 4)) & 1 ? c.toUpperCase() : c)).join(''),
      );
      const responses = await Promise.all(
        variants.map((username, i) =>
          app
            .http()
            .post('/api/users/register')
            .send({ username, email: `race${i}_${base}@example.com`, password: PASSWORD }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array<number>(9).fill(409)]);
      for (const response of responses.filter((r) => r.status === 409)) {
        expectError(response, 409, 'CONFLICT');
      }
    });

    it('should let exactly one of 10 concurrent registrations of one email win', async () => {
      const email = `${uniqueUsername('racemail')}@example.com`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          app
            .http()
            .post('/api/users/register')
            .send({
              username: uniqueUsername('racemail'),
              email: i % 2 ? email.toUpperCase() : email,
              password: PASSWORD,
            }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    });
  });

  describe('POST /api/users/login', () => {
    let account: ReturnType<typeof newAccount>;
    let userId: string;

    before(async () => {
      account = newAccount('login');
      const response = await app.http().post('/api/users/register').send(account).expect(201);
      userId = response.body.data.id;
    });

    function expectLoginResult(response: Response): void {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        success: true,
        data: {
          accessToken: expect.any(String),
          refreshToken: expect.any(String),
          tokenType: 'Bearer',
          expiresIn: 900,
          user: expect.objectContaining({
            id: userId,
            username: account.username,
            email: account.email,
            status: 'offline',
            createdAt: expect.stringMatching(ISO_UTC),
          }),
        },
      });
      const claims = jwt.decode(response.body.data.accessToken, { complete: true });
      expect(claims?.header.alg).toBe('HS256');
      expect(claims?.payload).toMatchObject({ sub: userId, iss: ISSUER, aud: AUDIENCE });
    }

    it('should sign in by username', async () => {
      const response = await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username, password: PASSWORD });
      expectLoginResult(response);
      await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${response.body.data.accessToken}`)
        .expect(200);
    });

    it('should sign in by email', async () => {
      const response = await app
        .http()
        .post('/api/users/login')
        .send({ email: account.email, password: PASSWORD });
      expectLoginResult(response);
    });

    it('should sign in by username in another case', async () => {
      const response = await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username.toUpperCase(), password: PASSWORD });
      expectLoginResult(response);
    });

    it('should answer one 401 message for a wrong password and an unknown account', async () => {
      const wrong = await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username, password: 'wrong-password' });
      expectError(wrong, 401, 'UNAUTHORIZED');
      const unknown = await app
        .http()
        .post('/api/users/login')
        .send({ username: uniqueUsername('ghost'), password: PASSWORD });
      expectError(unknown, 401, 'UNAUTHORIZED');
      const unknownEmail = await app
        .http()
        .post('/api/users/login')
        .send({ email: 'nobody@example.com', password: PASSWORD });
      expectError(unknownEmail, 401, 'UNAUTHORIZED');
      expect(unknown.body.error.message).toBe(wrong.body.error.message);
      expect(unknownEmail.body.error.message).toBe(wrong.body.error.message);
    });

    it('should reject a body with neither username nor email', async () => {
      const response = await app.http().post('/api/users/login').send({ password: PASSWORD });
      expectValidation(response);
    });

    it('should reject a body without password', async () => {
      const response = await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username });
      expectValidation(response, 'password');
    });

    for (const body of [
      { username: 123, password: PASSWORD },
      { username: 'abc', password: 12345678 },
      { email: ['a@example.com'], password: PASSWORD },
      { username: 'abc', password: PASSWORD, remember: true },
    ]) {
      it(`should reject ${JSON.stringify(body)} with 400`, async () => {
        const response = await app.http().post('/api/users/login').send(body);
        expectValidation(response);
        expect(response.body.error.details.length).toBeGreaterThan(0);
      });
    }

    it('should reject a NUL character in the identifier with 400, not 500', async () => {
      for (const body of [
        { username: 'nul\u0000name', password: PASSWORD },
        { email: 'nul\u0000@example.com', password: PASSWORD },
      ]) {
        expectValidation(await app.http().post('/api/users/login').send(body));
      }
    });

    it('should refuse a NUL character in a password, as in every other string (400)', async () => {
      const account = { ...newAccount('nulpw'), password: 'abc\u0000defgh' };
      expectValidation(await app.http().post('/api/users/register').send(account), 'password');
      expectValidation(
        await app
          .http()
          .post('/api/users/login')
          .send({ username: account.username, password: account.password }),
      );
    });

    it('should reject malformed JSON with 400', async () => {
      const response = await app
        .http()
        .post('/api/users/login')
        .set('Content-Type', 'application/json')
        .send('{username');
      expectValidation(response);
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('should return a new pair and make the old refresh token stop working', async () => {
      const user = await registerUser(app, 'refresh');
      const response = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      expect(response.body).toEqual({
        success: true,
        data: {
          accessToken: expect.any(String),
          refreshToken: expect.any(String),
          tokenType: 'Bearer',
          expiresIn: 900,
        },
      });
      expect(response.body.data.refreshToken).not.toBe(user.refreshToken);
      const me = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${response.body.data.accessToken}`)
        .expect(200);
      expect(me.body.data.id).toBe(user.id);

      const replay = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken });
      expectError(replay, 401, 'UNAUTHORIZED');
    });

    it('should revoke the session when a rotated refresh token is reused', async () => {
      const user = await registerUser(app, 'reuse');
      const first = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      const { accessToken, refreshToken: newest } = first.body.data as {
        accessToken: string;
        refreshToken: string;
      };
      await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .expect(200);

      // Someone replays the rotated token: treat the session as stolen.
      const reuse = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken });
      expectError(reuse, 401, 'UNAUTHORIZED');

      const newestAfterReuse = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: newest });
      expectError(newestAfterReuse, 401, 'UNAUTHORIZED');
      for (const token of [accessToken, user.accessToken]) {
        const me = await app.http().get('/api/users/me').set('Authorization', `Bearer ${token}`);
        expectError(me, 401, 'UNAUTHORIZED');
      }
    });

    it('should leave the user’s other sessions alone when one is revoked for reuse', async () => {
      const user = await registerUser(app, 'reuse2');
      const other = await app
        .http()
        .post('/api/users/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
      await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${other.body.data.accessToken}`)
        .expect(200);
      await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: other.body.data.refreshToken })
        .expect(200);
    });

    it('should let only one of two racing refreshes with the same token win', async () => {
      const user = await registerUser(app, 'racerefresh');
      const responses = await Promise.all(
        [0, 1].map(() =>
          app.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    for (const refreshToken of [
      'garbage',
      `${randomUUID()}.secret`,
      'not-a-uuid.secret',
      'a.b.c',
      '.',
    ]) {
      it(`should answer 401 for the refresh token ${JSON.stringify(refreshToken)}`, async () => {
        const response = await app.http().post('/api/auth/refresh').send({ refreshToken });
        expectError(response, 401, 'UNAUTHORIZED');
      });
    }

    for (const body of [
      {},
      { refreshToken: 42 },
      { refreshToken: '' },
      { refreshToken: 'x', a: 1 },
    ]) {
      it(`should reject ${JSON.stringify(body)} with 400`, async () => {
        const response = await app.http().post('/api/auth/refresh').send(body);
        expectValidation(response);
      });
    }
  });

  describe('POST /api/auth/logout', () => {
    it('should answer 204 and end the session: refresh fails and the access token is refused', async () => {
      const user = await registerUser(app, 'logout');
      const response = await app
        .http()
        .post('/api/auth/logout')
        .set('Authorization', user.auth)
        .expect(204);
      expect(response.text).toBe('');

      const refresh = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken });
      expectError(refresh, 401, 'UNAUTHORIZED');
      const me = await app.http().get('/api/users/me').set('Authorization', user.auth);
      expectError(me, 401, 'UNAUTHORIZED');
      const again = await app.http().post('/api/auth/logout').set('Authorization', user.auth);
      expectError(again, 401, 'UNAUTHORIZED');
    });

    it('should end only the caller’s session', async () => {
      const user = await registerUser(app, 'logout2');
      const other = await app
        .http()
        .post('/api/users/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      await app.http().post('/api/auth/logout').set('Authorization', user.auth).expect(204);
      await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${other.body.data.accessToken}`)
        .expect(200);
    });

    it('should answer 401 without a token', async () => {
      expectError(await app.http().post('/api/auth/logout'), 401, 'UNAUTHORIZED');
    });
  });

  describe('access tokens on a protected route', () => {
    let user: RegisteredUser;
    let claims: { sub: string; sid: string; username: string };

    before(async () => {
      user = await registerUser(app, 'tokens');
      const decoded = jwt.decode(user.accessToken) as jwt.JwtPayload;
      claims = {
        sub: decoded.sub!,
        sid: decoded.sid as string,
        username: decoded.username as string,
      };
    });

    function sign(
      options: jwt.SignOptions,
      secret: string = TEST_JWT_SECRET,
      payload: object = claims,
    ) {
      return jwt.sign(payload, secret, {
        algorithm: 'HS256',
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 600,
        ...options,
      });
    }

    function unsigned(payload: object, header: object = { alg: 'none', typ: 'JWT' }): string {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode(header)}.${encode(payload)}.`;
    }

    it('should accept a well-formed token signed as the server signs (control)', async () => {
      await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${sign({})}`)
        .expect(200);
    });

    it('should answer 401 without an Authorization header', async () => {
      expectError(await app.http().get('/api/users/me'), 401, 'UNAUTHORIZED');
    });

    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, () => string][] = [
      ['an empty Bearer', () => 'Bearer '],
      ['a bare token without Bearer', () => user.accessToken],
      ['a Basic scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['a malformed token', () => 'Bearer not.a.jwt'],
      ['random garbage', () => 'Bearer abcdefghijklmnop'],
      [
        'a forged signature',
        () => `Bearer ${sign({}, 'another-secret-that-is-long-enough-0123456789')}`,
      ],
      [
        'a tampered payload',
        () => {
          const [header, , signature] = user.accessToken.split('.');
          const payload = Buffer.from(
            JSON.stringify({
              ...claims,
              sub: randomUUID(),
              iss: ISSUER,
              aud: AUDIENCE,
              exp: now() + 600,
            }),
          ).toString('base64url');
          return `Bearer ${header}.${payload}.${signature}`;
        },
      ],
      [
        'an expired token',
        () =>
          `Bearer ${jwt.sign({ ...claims, exp: now() - 60, iat: now() - 1000 }, TEST_JWT_SECRET, {
            algorithm: 'HS256',
            issuer: ISSUER,
            audience: AUDIENCE,
          })}`,
      ],
      [
        'an alg:none token',
        () =>
          `Bearer ${unsigned({ ...claims, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 })}`,
      ],
      [
        'an alg:none token with a signature part',
        () =>
          `Bearer ${unsigned({ ...claims, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}${
            user.accessToken.split('.')[2]
          }`,
      ],
      ['an HS512 token with the right secret', () => `Bearer ${sign({ algorithm: 'HS512' })}`],
      ['an HS384 token with the right secret', () => `Bearer ${sign({ algorithm: 'HS384' })}`],
      ['a wrong issuer', () => `Bearer ${sign({ issuer: 'someone-else' })}`],
      ['a wrong audience', () => `Bearer ${sign({ audience: 'someone-else' })}`],
      [
        'no issuer or audience',
        () => `Bearer ${jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 })}`,
      ],
      [
        'no session id claim',
        () => `Bearer ${sign({}, TEST_JWT_SECRET, { sub: claims.sub, username: claims.username })}`,
      ],
      [
        'an unknown session id',
        () => `Bearer ${sign({}, TEST_JWT_SECRET, { ...claims, sid: randomUUID() })}`,
      ],
      [
        'a non-uuid session id',
        () => `Bearer ${sign({}, TEST_JWT_SECRET, { ...claims, sid: 'x' })}`,
      ],
    ];
    for (const [label, header] of cases) {
      it(`should answer 401 UNAUTHORIZED for ${label}`, async () => {
        const response = await app.http().get('/api/users/me').set('Authorization', header());
        expectError(response, 401, 'UNAUTHORIZED');
      });
    }

    it('should answer 401 for a valid token whose account no longer exists', async () => {
      const token = sign({}, TEST_JWT_SECRET, { ...claims, sub: randomUUID() });
      const response = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${token}`);
      // The session belongs to another user: refusing is the only safe answer.
      expectError(response, 401, 'UNAUTHORIZED');
    });
  });

  describe('every route needs a token', () => {
    const PUBLIC = new Set([
      'POST /api/users/register',
      'POST /api/users/login',
      'POST /api/auth/refresh',
      'GET /health',
      'GET /metrics',
    ]);
    const isPublic = (method: string, path: string) =>
      PUBLIC.has(`${method} ${path}`) || path === '/docs' || path.startsWith('/docs');

    it('should answer 401 without a token on every non-public route of the OpenAPI document', async () => {
      const document = await app.http().get('/docs-json').expect(200);
      const paths = document.body.paths as Record<string, Record<string, unknown>>;
      const checked: string[] = [];
      for (const [template, operations] of Object.entries(paths)) {
        const path = template.replace(/\{[^}]+\}/g, randomUUID());
        for (const method of Object.keys(operations)) {
          const verb = method.toUpperCase();
          if (
            !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(verb) ||
            isPublic(verb, template)
          ) {
            continue;
          }
          const agent = app.http();
          const call = {
            GET: () => agent.get(path),
            POST: () => agent.post(path),
            PUT: () => agent.put(path),
            PATCH: () => agent.patch(path),
            DELETE: () => agent.delete(path),
          }[verb as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'];
          const response = await call().send({});
          expect({ route: `${verb} ${template}`, status: response.status }).toEqual({
            route: `${verb} ${template}`,
            status: 401,
          });
          expect(response.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
          checked.push(`${verb} ${template}`);
        }
      }
      expect(checked).toEqual(
        expect.arrayContaining([
          'POST /api/auth/logout',
          'GET /api/users/me',
          'GET /api/users',
          'GET /api/users/{userID}',
          'GET /api/users/{userID}/status',
          'PATCH /api/messages/{messageID}',
          'DELETE /api/messages/{messageID}',
          'PUT /api/messages/{messageID}/reactions/{emoji}',
          'DELETE /api/messages/{messageID}/reactions/{emoji}',
          'GET /api/messages/{messageID}/replies',
          'GET /api/conversations/{conversationID}/changes',
        ]),
      );
    });

    it('should keep the public routes open', async () => {
      await app.http().get('/health').expect(200);
      await app.http().get('/metrics').expect(200);
      await app.http().get('/docs-json').expect(200);
      expectValidation(await app.http().post('/api/users/register').send({}));
      expectValidation(await app.http().post('/api/users/login').send({}));
      expectValidation(await app.http().post('/api/auth/refresh').send({}));
    });
  });
});

describe('auth rate limits', () => {
  describe('RATE_LIMIT_AUTH', () => {
    let app: TestApp;

    before(async () => {
      app = await createTestApp({ env: { RATE_LIMIT_AUTH: '3' } });
    });

    after(async () => {
      await app.close();
    });

    it('should answer the 4th auth request in a minute with 429 and Retry-After', async () => {
      const account = newAccount('rl');
      await app.http().post('/api/users/register').send(account).expect(201);
      await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username, password: PASSWORD })
        .expect(200);
      await app
        .http()
        .post('/api/users/login')
        .send({ username: account.username, password: 'wrong-password' })
        .expect(401);
      for (const send of [
        () =>
          app
            .http()
            .post('/api/users/login')
            .send({ username: account.username, password: PASSWORD }),
        () => app.http().post('/api/users/register').send(newAccount('rl')),
        () => app.http().post('/api/auth/refresh').send({ refreshToken: 'x.y' }),
      ]) {
        const response = await send();
        expectError(response, 429, 'RATE_LIMITED');
        const retryAfter = Number(response.headers['retry-after']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
    });

    it('should not limit other routes', async () => {
      for (let i = 0; i < 5; i += 1) {
        await app.http().get('/health').expect(200);
        expectError(await app.http().get('/api/users/me'), 401, 'UNAUTHORIZED');
      }
    });
  });

  describe('RATE_LIMIT_LOGIN_FAILURES', () => {
    let app: TestApp;

    before(async () => {
      app = await createTestApp({ env: { RATE_LIMIT_LOGIN_FAILURES: '2' } });
    });

    after(async () => {
      await app.close();
    });

    async function failTwice(username: string): Promise<void> {
      for (let i = 0; i < 2; i += 1) {
        expectError(
          await app.http().post('/api/users/login').send({ username, password: 'wrong-password' }),
          401,
          'UNAUTHORIZED',
        );
      }
    }

    it('should refuse even the right password with 429 after 2 failures for a username', async () => {
      const user = await registerUser(app, 'brute');
      await failTwice(user.username);
      const response = await app
        .http()
        .post('/api/users/login')
        .send({ username: user.username, password: user.password });
      expectError(response, 429, 'RATE_LIMITED');
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    });

    it('should block the account whatever identifier or case the attacker uses', async () => {
      const user = await registerUser(app, 'brute2');
      await failTwice(user.username.toUpperCase());
      for (const body of [
        { username: user.username, password: user.password },
        { email: user.email, password: user.password },
        { email: user.email.toUpperCase(), password: user.password },
      ]) {
        expectError(await app.http().post('/api/users/login').send(body), 429, 'RATE_LIMITED');
      }
    });

    it('should count failures by email against the same account', async () => {
      const user = await registerUser(app, 'brute3');
      for (let i = 0; i < 2; i += 1) {
        await app
          .http()
          .post('/api/users/login')
          .send(
            i % 2
              ? { email: user.email, password: 'nope-nope' }
              : { username: user.username, password: 'nope-nope' },
          )
          .expect(401);
      }
      expectError(
        await app
          .http()
          .post('/api/users/login')
          .send({ username: user.username, password: user.password }),
        429,
        'RATE_LIMITED',
      );
    });

    it('should not let parallel guesses slip past the limit while earlier ones are being checked', async () => {
      const user = await registerUser(app, 'brute6');
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          app
            .http()
            .post('/api/users/login')
            .send({ username: user.username, password: 'wrong-password' }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([
        401,
        401,
        ...Array<number>(8).fill(429),
      ]);
    });

    it('should not count successful logins as failures', async () => {
      const user = await registerUser(app, 'brute7');
      for (let i = 0; i < 3; i += 1) {
        await app
          .http()
          .post('/api/users/login')
          .send({ username: user.username, password: user.password })
          .expect(200);
      }
      await app
        .http()
        .post('/api/users/login')
        .send({ username: user.username, password: 'wrong-password' })
        .expect(401);
      await app
        .http()
        .post('/api/users/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
    });

    it('should leave other usernames alone', async () => {
      const victim = await registerUser(app, 'brute4');
      const bystander = await registerUser(app, 'brute5');
      await failTwice(victim.username);
      await app
        .http()
        .post('/api/users/login')
        .send({ username: bystander.username, password: bystander.password })
        .expect(200);
    });
  });
});
