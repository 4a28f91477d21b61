import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JwtService } from '@nestjs/jwt';
import { expect } from 'expect';
import { CLIENT_EVENT_NAMES } from '../libs/contracts/src';
import { connectSocket, emitWithAck } from './utils/ws-client';
import { expectError } from './utils/api';
import { registerUser, type RegisteredUser } from './utils/factories';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/test-app';

/**
 * Issue 11: what an outside audit sent. Every answer must be the SPEC envelope with the right status:
 * never a 500, never Express's HTML, never a request that succeeds by ignoring part of its input.
 */
describe('hostile input', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    app = await createTestApp();
    alice = await registerUser(app, 'alice');
    bob = await registerUser(app, 'bob');
  });

  after(async () => {
    await app.close();
  });

  function postJson(path: string, raw: string, auth?: string) {
    const call = app.http().post(path).set('Content-Type', 'application/json');
    return (auth ? call.set('Authorization', auth) : call).send(raw);
  }

  /** A request with any of the OpenAPI document's methods. */
  function open(method: string, path: string) {
    const agent = app.http();
    switch (method) {
      case 'get':
        return agent.get(path);
      case 'put':
        return agent.put(path);
      case 'patch':
        return agent.patch(path);
      case 'delete':
        return agent.delete(path);
      default:
        return agent.post(path);
    }
  }

  function nested(depth: number, leaf = '"x"'): string {
    return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
  }

  /** A raw HTTP exchange for what supertest cannot send (a 20 KB header). */
  function rawGet(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
    const url = new URL(app.baseUrl);
    return new Promise((resolve, reject) => {
      const call = httpRequest(
        { host: url.hostname, port: url.port, path, method: 'GET', headers },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            try {
              resolve({
                status: response.statusCode ?? 0,
                body: JSON.parse(text) as unknown,
                headers: response.headers,
              });
            } catch {
              reject(new Error(`not JSON (${response.statusCode}): ${text.slice(0, 200)}`));
            }
          });
        },
      );
      call.on('error', reject);
      call.end();
    });
  }

  describe('deep nesting (finding 3)', () => {
    it('should answer 400 to a body nested 2,000 levels deep on every kind of body route', async () => {
      for (const [path, raw] of [
        ['/api/groups', `{"name":${nested(2_000)}}`],
        ['/api/messages/send', `{"recipientID":"${bob.id}","content":${nested(2_000)}}`],
        ['/api/users/login', `{"username":${nested(30_000)},"password":"x"}`],
      ]) {
        const response = await postJson(path, raw, alice.auth);
        expectError(response, 400, 'VALIDATION_FAILED');
      }
      const still = await app.http().get('/api/users/me').set('Authorization', alice.auth);
      expect(still.status).toBe(200);
    });

    it('should refuse prototype keys and lone surrogates in socket payloads too', async () => {
      const socket = await connectSocket(app.baseUrl, alice.accessToken);
      try {
        const proto = await emitWithAck(
          socket,
          'send_message',
          JSON.parse(`{"recipientID":"${bob.id}","content":"x","__proto__":{"a":1}}`),
        );
        expect(proto).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
        const lone = await emitWithAck(socket, 'send_message', {
          recipientID: bob.id,
          content: 'x\ud800',
        });
        expect(lone).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
        // Binary parts count by their bytes: 60 KB of buffer is under the 64 KiB event limit (as
        // JSON it would be about 230 KB), so the answer is about the type, not the size.
        const binary = await emitWithAck(socket, 'send_message', {
          recipientID: bob.id,
          content: Buffer.alloc(60_000, 1),
        });
        expect(binary).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
      } finally {
        socket.close();
      }
    });
  });

  describe('strings PostgreSQL cannot hold, and ill-formed Unicode (findings 4, 7, 13)', () => {
    it('should answer 400 to a NUL in a group name or description', async () => {
      for (const body of [{ name: 'a\u0000b' }, { name: 'ok', description: 'x\u0000' }]) {
        const response = await app
          .http()
          .post('/api/groups')
          .set('Authorization', alice.auth)
          .send(body);
        expectError(response, 400, 'VALIDATION_FAILED', Object.keys(body).at(-1));
      }
    });

    it('should answer 400 to a lone surrogate in the register email', async () => {
      const response = await postJson(
        '/api/users/register',
        '{"username":"surrogate_1","email":"a\\ud800@example.com","password":"correct-horse"}',
      );
      expectError(response, 400, 'VALIDATION_FAILED', 'email');
    });

    it('should refuse lone surrogates in content instead of storing two bodies as one', async () => {
      const send = (content: string) =>
        postJson(
          '/api/messages/send',
          `{"recipientID":"${bob.id}","content":"${content}","clientMessageID":"lone-1"}`,
          alice.auth,
        );
      expectError(await send('hi \\ud800'), 400, 'VALIDATION_FAILED', 'content');
      expectError(await send('hi \\udc00'), 400, 'VALIDATION_FAILED', 'content');
      const first = await send('hi \\ufffd');
      expect(first.status).toBe(201);
      const differs = await send('hi \\ufffe');
      expectError(differs, 409, 'CONFLICT');
    });

    it('should answer 400 to NUL or a lone surrogate in a query or path parameter', async () => {
      expectError(
        await app.http().get('/api/users?search=a%00').set('Authorization', alice.auth),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await app.http().get('/api/messages/history/%00').set('Authorization', alice.auth),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('integers and cursors (findings 5, 6, also-seen)', () => {
    it('should answer 400 to after or before past 2^53 in history, never a 500', async () => {
      const sent = await app
        .http()
        .post('/api/messages/send')
        .set('Authorization', alice.auth)
        .send({ recipientID: bob.id, content: 'hello' });
      expect(sent.status).toBe(201);
      for (const query of [
        'after=1e19',
        'after=1e308',
        'after=99999999999999999999',
        'before=9223372036854775808',
        'after=9007199254740992',
        'limit=0x10',
        'limit=1e1',
        'limit=%2010',
        'limit=',
        'offset=1.0',
      ]) {
        const response = await app
          .http()
          .get(`/api/messages/history/${bob.id}?${query}`)
          .set('Authorization', alice.auth);
        expectError(response, 400, 'VALIDATION_FAILED');
      }
      const ok = await app
        .http()
        .get(`/api/messages/history/${bob.id}?limit=16&after=0`)
        .set('Authorization', alice.auth);
      expect(ok.status).toBe(200);
    });

    it('should answer 400 to a seq past 2^53 in a body or a socket payload', async () => {
      expectError(
        await postJson(`/api/conversations/${bob.id}/read`, '{"seq":1e19}', alice.auth),
        400,
        'VALIDATION_FAILED',
        'seq',
      );
      const socket = await connectSocket(app.baseUrl, alice.accessToken);
      try {
        const ack = await emitWithAck(socket, 'sync', { conversationID: bob.id, after: 1e19 });
        expect(ack).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
      } finally {
        socket.close();
      }
    });

    it('should answer 400 to a well-formed cursor from year 0000 or 9999+', async () => {
      const group = await app
        .http()
        .post('/api/groups')
        .set('Authorization', alice.auth)
        .send({ name: 'cursor group' });
      expect(group.status).toBe(201);
      const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
      for (const at of ['0000-01-01T00:00:00.000000Z', '1969-12-31T23:59:59.999999Z']) {
        const cursor = Buffer.from(`${at}|${id}`).toString('base64url');
        for (const path of [
          `/api/conversations?cursor=${cursor}`,
          `/api/groups/${group.body.data.id}/members?cursor=${cursor}`,
        ]) {
          const response = await app.http().get(path).set('Authorization', alice.auth);
          expectError(response, 400, 'VALIDATION_FAILED', 'cursor');
        }
      }
    });
  });

  describe('unknown input (finding 10)', () => {
    it('should answer 400 to __proto__, constructor and prototype keys in a body', async () => {
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const response = await postJson(
          '/api/groups',
          `{"name":"proto","${key}":{"isAdmin":true}}`,
          alice.auth,
        );
        expectError(response, 400, 'VALIDATION_FAILED', key);
      }
      const nestedKey = await postJson(
        '/api/messages/send',
        `{"recipientID":"${bob.id}","content":"x","extra":{"__proto__":{"a":1}}}`,
        alice.auth,
      );
      expectError(nestedKey, 400, 'VALIDATION_FAILED', 'extra.__proto__');
    });

    it('should answer 400 to __proto__ in a query string', async () => {
      const response = await app
        .http()
        .get('/api/users?__proto__=1')
        .set('Authorization', alice.auth);
      expectError(response, 400, 'VALIDATION_FAILED', '__proto__');
    });

    it('should answer 400 to a body or query parameter on a route that takes none', async () => {
      expectError(
        await app.http().get('/api/users/me?anything=1').set('Authorization', alice.auth),
        400,
        'VALIDATION_FAILED',
        'anything',
      );
      expectError(
        await app.http().get(`/api/users/${bob.id}?x=1`).set('Authorization', alice.auth),
        400,
        'VALIDATION_FAILED',
        'x',
      );
      expectError(
        await postJson('/api/auth/logout', '{"everywhere":true}', alice.auth),
        400,
        'VALIDATION_FAILED',
        'everywhere',
      );
      expectError(
        await app.http().post('/api/groups?x=1').set('Authorization', alice.auth).send({
          name: 'query on a body route',
        }),
        400,
        'VALIDATION_FAILED',
        'x',
      );
      // No token: authentication answers first, as for any other request.
      expectError(await postJson('/api/auth/logout', '{"a":1}'), 401, 'UNAUTHORIZED');
      const plain = await app.http().get('/api/users/me').set('Authorization', alice.auth);
      expect(plain.status).toBe(200);
    });

    it('should answer 400 to a form-encoded or other non-JSON body', async () => {
      const form = await app
        .http()
        .post('/api/users/login')
        .type('form')
        .send(`username=${alice.username}&password=${alice.password}`);
      expectError(form, 400, 'VALIDATION_FAILED', 'Content-Type');
      for (const type of ['text/plain', 'application/merge-patch+json', 'application/x-ndjson']) {
        const response = await app
          .http()
          .post(`/api/conversations/${bob.id}/read`)
          .set('Authorization', alice.auth)
          .set('Content-Type', type)
          .send('{"seq":1}');
        expectError(response, 400, 'VALIDATION_FAILED', 'Content-Type');
      }
    });
  });

  describe('the envelope on every answer (finding 11)', () => {
    it('should answer paths outside /api with the JSON envelope 404 and a request id', async () => {
      for (const path of ['/nope', '//api//users//me', '/api', '/docsx', '/health/x']) {
        const response = await rawGet(path, { Authorization: alice.auth });
        expectError(response, 404, 'NOT_FOUND');
        expect(response.headers['x-request-id']).toEqual(
          (response.body as { error: { requestId: string } }).error.requestId,
        );
      }
    });

    it('should answer a URL or headers over 16 KB with the JSON envelope', async () => {
      const longUrl = await rawGet(`/api/users?search=${'a'.repeat(20_000)}`);
      expectError(longUrl, 400, 'VALIDATION_FAILED');
      const longHeader = await rawGet('/api/users/me', { 'X-Padding': 'b'.repeat(20_000) });
      expectError(longHeader, 400, 'VALIDATION_FAILED');
      expect(longHeader.headers['x-request-id']).toEqual(expect.any(String));
      const health = await app.http().get('/health');
      expect(health.status).toBe(200);
    });

    it('should keep /health, /metrics and the docs routes serving', async () => {
      for (const path of ['/health', '/metrics', '/docs-json', '/docs/asyncapi.json', '/docs']) {
        const response = await app.http().get(path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
      }
    });
  });

  describe('tokens (findings 9, 14)', () => {
    it('should answer a wrong secret for a real session id with 401 and leave it working', async () => {
      const victim = await registerUser(app, 'victim');
      const [sessionId] = victim.refreshToken.split('.');
      const forged = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: `${sessionId}.anything-at-all` });
      expectError(forged, 401, 'UNAUTHORIZED');
      const me = await app.http().get('/api/users/me').set('Authorization', victim.auth);
      expect(me.status).toBe(200);
      const refreshed = await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: victim.refreshToken });
      expect(refreshed.status).toBe(200);
    });

    it('should refuse hostile handshake tokens with UNAUTHORIZED', async () => {
      for (const token of [{ a: 1 }, [alice.accessToken], 'x'.repeat(20_000), 'a\ud800', 7]) {
        await expect(connectSocket(app.baseUrl, token as unknown as string)).rejects.toThrow(
          'UNAUTHORIZED',
        );
      }
    });

    it('should refuse a correctly signed access token that has no exp', async () => {
      const user = await registerUser(app, 'noexp');
      const claims = JSON.parse(
        Buffer.from(user.accessToken.split('.')[1], 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      const { exp: _exp, iat: _iat, ...rest } = claims;
      const forever = new JwtService().sign(rest, {
        secret: TEST_JWT_SECRET,
        algorithm: 'HS256',
      });
      const response = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${forever}`);
      expectError(response, 401, 'UNAUTHORIZED');
      await expect(connectSocket(app.baseUrl, forever)).rejects.toThrow('UNAUTHORIZED');
    });
  });

  describe('every route against hostile values (the same class of bug elsewhere)', () => {
    /** Already URL-encoded, as they go on the wire (a lone surrogate as its invalid UTF-8). */
    const HOSTILE_SEGMENTS = [
      '%00',
      'a%ED%A0%80',
      '%FF%FE',
      '%2500',
      '0x10',
      '1e308',
      '-1',
      '99999999999999999999',
      '00000000-0000-0000-0000-000000000000',
      'A'.repeat(2_000),
      '..%2F..%2Fetc%2Fpasswd',
      "'%20OR%201%3D1%20--",
    ];
    const HOSTILE_BODIES: string[] = [
      '[]',
      '[1,2]',
      '{"a":1}',
      '{"content":1e400}',
      '{"name":{"$gt":""}}',
      nested(3_000, '{}'),
      '{"__proto__":{"x":1}}',
      '{"seq":-0.5,"limit":"5","conversationID":[],"groupID":{},"userID":null,"role":7}',
    ];

    interface Operation {
      method: string;
      path: string;
      query: string[];
      hasBody: boolean;
    }

    async function operations(): Promise<Operation[]> {
      const document = (await app.http().get('/docs-json')).body as {
        paths: Record<
          string,
          Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
        >;
      };
      return Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          method,
          path,
          query: (operation.parameters ?? [])
            .filter((parameter) => parameter.in === 'query')
            .map((parameter) => parameter.name),
          hasBody: operation.requestBody !== undefined,
        })),
      );
    }

    function expectHandled(label: string, response: { status: number; body: unknown }): void {
      const handled =
        response.status < 500 &&
        (response.status === 204 ||
          (typeof response.body === 'object' &&
            response.body !== null &&
            'success' in response.body));
      expect({ label, status: response.status, handled }).toEqual({
        label,
        status: response.status,
        handled: true,
      });
    }

    it('should answer every route with the envelope and never a 500', async () => {
      const victim = await registerUser(app, 'fuzz');
      const ops = (await operations()).filter(
        (op) => op.path.startsWith('/api/') && op.path !== '/api/auth/logout',
      );
      expect(ops.length).toBeGreaterThan(10);
      for (const op of ops) {
        const call = (path: string) => open(op.method, path).set('Authorization', victim.auth);
        for (const value of HOSTILE_SEGMENTS) {
          const path = op.path.replace(/\{[^}]+\}/g, value);
          expectHandled(`${op.method} ${path}`, await call(path));
          for (const name of op.query) {
            const withQuery = `${op.path.replace(/\{[^}]+\}/g, bob.id)}?${name}=${value}`;
            expectHandled(`${op.method} ${withQuery}`, await call(withQuery));
          }
        }
        if (op.hasBody) {
          const path = op.path.replace(/\{[^}]+\}/g, bob.id);
          for (const body of HOSTILE_BODIES) {
            const response = await open(op.method, path)
              .set('Content-Type', 'application/json')
              .set('Authorization', victim.auth)
              .send(body);
            expectHandled(`${op.method} ${path} ${body.slice(0, 40)}`, response);
            expect(response.status).toBeGreaterThanOrEqual(400);
          }
        }
      }
    });
  });

  describe('every socket event against hostile payloads', () => {
    it('should answer every client event with an error ack, never INTERNAL, and keep serving', async () => {
      let deep: unknown = bob.id;
      for (let level = 0; level < 30; level += 1) {
        deep = { conversationID: deep };
      }
      const payloads: unknown[] = [
        null,
        'text',
        42,
        [],
        [bob.id],
        { conversationID: '\u0000', groupID: '\u0000', seq: 1, after: 0 },
        { conversationID: 'a\ud800', seq: 1, after: 0, isTyping: true },
        { conversationID: bob.id, seq: 1e19, after: 1e19, isTyping: true },
        { conversationID: bob.id, seq: -1, after: -1, limit: 0, isTyping: 'yes' },
        { conversationID: 'A'.repeat(5_000), seq: 1, after: 0 },
        { groupID: '00000000-0000-0000-0000-000000000000' },
        { groupID: { $ne: null } },
        { status: 'offline\u0000' },
        { recipientID: alice.id, content: 'to myself' },
        deep,
      ];
      const socket = await connectSocket(app.baseUrl, alice.accessToken);
      try {
        for (const event of CLIENT_EVENT_NAMES) {
          for (const payload of payloads) {
            const ack = await emitWithAck(socket, event, payload);
            const label = `${event} ${JSON.stringify(payload)?.slice(0, 60)}`;
            if (event === 'ping') {
              expect({ label, success: ack.success }).toEqual({ label, success: true });
              continue;
            }
            expect({
              label,
              success: ack.success,
              internal: ack.error?.code === 'INTERNAL',
            }).toEqual({ label, success: false, internal: false });
          }
        }
        expect((await emitWithAck(socket, 'ping')).success).toBe(true);
      } finally {
        socket.close();
      }
    });
  });

  // Finding 12 asked for 404; the product contract (section 4, join) says 403, and it wins.
  describe('private groups (finding 12)', () => {
    it('should answer FORBIDDEN to a non-member joining a private group over HTTP and socket', async () => {
      const hidden = await app
        .http()
        .post('/api/groups')
        .set('Authorization', alice.auth)
        .send({ name: 'hidden', visibility: 'private' });
      expect(hidden.status).toBe(201);
      const groupID = (hidden.body as { data: { id: string } }).data.id;
      expectError(
        await app.http().post(`/api/groups/${groupID}/join`).set('Authorization', bob.auth),
        403,
        'FORBIDDEN',
      );
      const socket = await connectSocket(app.baseUrl, bob.accessToken);
      try {
        const ack = await emitWithAck(socket, 'join_group', { groupID });
        expect(ack).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
      } finally {
        socket.close();
      }
    });
  });

  describe('group names (also seen)', () => {
    it('should refuse a group name of only zero-width spaces or bidi controls', async () => {
      for (const name of ['\u200b\u200b', '\u202e', '\u2066\u2069', '\u200d\ufe0f', '\u3164']) {
        const response = await app
          .http()
          .post('/api/groups')
          .set('Authorization', alice.auth)
          .send({ name });
        expectError(response, 400, 'VALIDATION_FAILED', 'name');
      }
      const fine = await app
        .http()
        .post('/api/groups')
        .set('Authorization', alice.auth)
        .send({ name: '\u202eolleh' });
      expect(fine.status).toBe(201);
    });
  });
});
