import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { expectError } from './utils/api';
import { registerUser, type RegisteredUser } from './utils/factories';
import { createTestApp, type TestApp } from './utils/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const PASSWORD = 'correct-horse-battery';

describe('users', () => {
  let app: TestApp;
  let caller: RegisteredUser;

  /** Registers `username` directly (search tests need chosen names). */
  async function register(username: string): Promise<string> {
    const response = await app
      .http()
      .post('/api/users/register')
      .send({ username, email: `${username}@example.com`, password: PASSWORD })
      .expect(201);
    return response.body.data.id as string;
  }

  function get(path: string, auth = caller.auth) {
    return app.http().get(path).set('Authorization', auth);
  }

  before(async () => {
    app = await createTestApp();
    caller = await registerUser(app, 'caller');
  });

  after(async () => {
    await app.close();
  });

  describe('GET /api/users/me', () => {
    it('should return the caller with email and no secrets', async () => {
      const response = await get('/api/users/me').expect(200);
      expect(response.body).toEqual({
        success: true,
        data: {
          id: caller.id,
          username: caller.username,
          email: caller.email,
          status: 'offline',
          lastSeen: null,
          createdAt: expect.stringMatching(ISO_UTC),
        },
      });
    });

    it('should answer 401 without a token', async () => {
      expectError(await app.http().get('/api/users/me'), 401, 'UNAUTHORIZED');
    });
  });

  describe('GET /api/users?search=', () => {
    const tag = `s${randomBytes(4).toString('hex')}`;
    const names = [`${tag}_alice`, `${tag}_Albert`, `${tag}_bob`, `${tag}xalice`];
    const ids: Record<string, string> = {};

    before(async () => {
      for (const name of names) {
        ids[name] = await register(name);
      }
    });

    it('should find users by username prefix, case-insensitively, as public profiles', async () => {
      const response = await get(`/api/users?search=${tag.toUpperCase()}_AL`).expect(200);
      expect(response.body.success).toBe(true);
      const found = response.body.data as Record<string, unknown>[];
      expect(found.map((u) => u.username).sort()).toEqual([`${tag}_Albert`, `${tag}_alice`]);
      for (const user of found) {
        expect(user).toEqual({
          id: ids[user.username as string],
          username: user.username,
          status: 'offline',
          lastSeen: null,
        });
      }
    });

    it('should order results by username and honour limit', async () => {
      const all = await get(`/api/users?search=${tag}`).expect(200);
      expect(all.body.data.map((u: { username: string }) => u.username)).toEqual([
        `${tag}_Albert`,
        `${tag}_alice`,
        `${tag}_bob`,
        `${tag}xalice`,
      ]);
      const limited = await get(`/api/users?search=${tag}&limit=2`).expect(200);
      expect(limited.body.data).toHaveLength(2);
      expect(limited.body.data.map((u: { username: string }) => u.username)).toEqual([
        `${tag}_Albert`,
        `${tag}_alice`,
      ]);
      const one = await get(`/api/users?search=${tag}&limit=1`).expect(200);
      expect(one.body.data).toHaveLength(1);
    });

    it('should match only prefixes, not substrings', async () => {
      const response = await get(`/api/users?search=alice`).expect(200);
      const usernames = response.body.data.map((u: { username: string }) => u.username);
      expect(usernames).not.toContain(`${tag}_alice`);
    });

    it('should treat _ and % in the search literally', async () => {
      // `_` is a LIKE wildcard: unescaped, "<tag>_" would also match "<tag>xalice".
      const underscore = await get(`/api/users?search=${tag}_`).expect(200);
      expect(underscore.body.data.map((u: { username: string }) => u.username)).not.toContain(
        `${tag}xalice`,
      );
      expect(underscore.body.data).toHaveLength(3);
      const percent = await get(`/api/users?search=${encodeURIComponent('%')}`).expect(200);
      expect(percent.body.data).toEqual([]);
    });

    it('should answer an empty list for no match', async () => {
      const response = await get(`/api/users?search=zz${randomBytes(6).toString('hex')}`).expect(
        200,
      );
      expect(response.body).toEqual({ success: true, data: [] });
    });

    it('should list users without a search, at most limit', async () => {
      const response = await get('/api/users?limit=3').expect(200);
      expect(response.body.data.length).toBeGreaterThan(0);
      expect(response.body.data.length).toBeLessThanOrEqual(3);
    });

    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      [`search=${'a'.repeat(33)}`, 'search'],
      ['search=a&search=b', 'search'],
      ['search=ab%00cd', 'search'],
      ['admin=true', 'admin'],
    ]) {
      it(`should reject ?${query.slice(0, 40)} with 400 VALIDATION_FAILED`, async () => {
        expectError(await get(`/api/users?${query}`), 400, 'VALIDATION_FAILED', field);
      });
    }

    it('should answer 401 without a token', async () => {
      expectError(await app.http().get(`/api/users?search=${tag}`), 401, 'UNAUTHORIZED');
    });
  });

  describe('GET /api/users/{userID}', () => {
    it('should return the public profile', async () => {
      const other = await registerUser(app, 'profile');
      const response = await get(`/api/users/${other.id}`).expect(200);
      expect(response.body).toEqual({
        success: true,
        data: { id: other.id, username: other.username, status: 'offline', lastSeen: null },
      });
    });

    it('should answer 404 NOT_FOUND for an unknown uuid', async () => {
      expectError(await get(`/api/users/${randomUUID()}`), 404, 'NOT_FOUND');
    });

    for (const bad of ['not-a-uuid', '123', `${randomUUID()}x`, "1' OR '1'='1"]) {
      it(`should answer 400 VALIDATION_FAILED for the id ${JSON.stringify(bad)}`, async () => {
        expectError(
          await get(`/api/users/${encodeURIComponent(bad)}`),
          400,
          'VALIDATION_FAILED',
          'userID',
        );
      });
    }
  });

  describe('GET /api/users/{userID}/status', () => {
    it('should return {id, username, status: offline, lastSeen}', async () => {
      const other = await registerUser(app, 'status');
      const response = await get(`/api/users/${other.id}/status`).expect(200);
      expect(response.body).toEqual({
        success: true,
        data: { id: other.id, username: other.username, status: 'offline', lastSeen: null },
      });
    });

    it('should answer for the caller too', async () => {
      const response = await get(`/api/users/${caller.id}/status`).expect(200);
      expect(response.body.data).toMatchObject({ id: caller.id, status: 'offline' });
    });

    it('should answer 404 for an unknown uuid and 400 for a non-uuid', async () => {
      expectError(await get(`/api/users/${randomUUID()}/status`), 404, 'NOT_FOUND');
      expectError(await get('/api/users/nope/status'), 400, 'VALIDATION_FAILED', 'userID');
    });

    it('should answer 401 without a token', async () => {
      expectError(await app.http().get(`/api/users/${caller.id}/status`), 401, 'UNAUTHORIZED');
    });
  });

  it('should give every id as a UUID and every time as ISO 8601 UTC', async () => {
    const me = await get('/api/users/me').expect(200);
    expect(me.body.data.id).toMatch(UUID);
    expect(me.body.data.createdAt).toMatch(ISO_UTC);
  });
});
