import { after, before, describe, it } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'expect';
import type { Response } from 'supertest';
import { registerUser, type RegisteredUser } from './utils/factories';
import { createTestApp, type TestApp } from './utils/test-app';

type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Every answer the main routes give, success and error, checked against the document the server
 * serves at /docs-json: the status is documented, the body matches its schema (ajv, with OpenAPI's
 * `nullable`), and the documented headers (RateLimit, Retry-After) match theirs.
 */
class Contract {
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: { int32: true, int64: true },
  });
  private readonly cache = new Map<string, ValidateFunction>();
  readonly checked = new Set<string>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi');
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.cache.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi#${pointer}` });
      this.cache.set(pointer, validate);
    }
    return validate;
  }

  private resolve(node: Json): Json {
    const ref = node.$ref;
    if (typeof ref !== 'string') {
      return node;
    }
    return ref
      .slice(2)
      .split('/')
      .reduce<Json>((at, key) => at[key] as Json, this.document);
  }

  /** Throws with the violations when `response` breaks the document for `method path`. */
  check(method: Method, path: string, response: Response): void {
    const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
    const paths = this.document.paths as Record<string, Record<string, Json>>;
    const operation = paths[path]?.[method];
    expect({ route: `${method} ${path}`, documented: operation !== undefined }).toEqual({
      route: `${method} ${path}`,
      documented: true,
    });
    const status = String(response.status);
    const responses = operation.responses as Record<string, Json>;
    expect({ route: `${method} ${path}`, status, documented: status in responses }).toMatchObject({
      documented: true,
    });
    this.checked.add(`${method} ${path} ${status}`);
    const documented = responses[status];
    const base = `/paths/${escape(path)}/${method}/responses/${status}`;
    const content = documented.content as Record<string, Json> | undefined;
    if (content?.['application/json']) {
      const validate = this.validator(`${base}/content/application~1json/schema`);
      if (!validate(response.body)) {
        throw new Error(
          `${method.toUpperCase()} ${path} ${status} breaks the document: ` +
            `${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body)}`,
        );
      }
    } else {
      expect(response.text ?? '').toBe('');
    }
    const headers = (documented.headers ?? {}) as Record<string, Json>;
    for (const [name, header] of Object.entries(headers)) {
      const value = response.headers[name.toLowerCase()] as string | undefined;
      const schema = this.resolve(header).schema as Json;
      if (value === undefined) {
        continue;
      }
      const typed = schema.type === 'integer' ? Number(value) : value;
      const validate = this.ajv.compile(schema);
      if (!validate(typed)) {
        throw new Error(
          `${method} ${path} ${status}: header ${name}: ${value} breaks ${JSON.stringify(schema)}`,
        );
      }
    }
    if (path.startsWith('/api/')) {
      expect(Object.keys(headers)).toEqual(
        expect.arrayContaining(['RateLimit', 'RateLimit-Policy']),
      );
      expect(response.headers['ratelimit']).toBeDefined();
      expect(response.headers['ratelimit-policy']).toBeDefined();
    }
  }
}

describe('OpenAPI document against real responses', () => {
  let app: TestApp;
  let contract: Contract;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_REQUESTS: '1000' } });
    const served = await app.http().get('/docs-json').expect(200);
    contract = new Contract(served.body as Json);
    alice = await registerUser(app, 'contract');
    bob = await registerUser(app, 'contract');
  });

  after(async () => {
    await app.close();
  });

  it('should serve the document built with the Swagger plugin (the one production serves)', () => {
    const schemas = (contract.document.components as Json).schemas as Record<string, Json>;
    const register = schemas.RegisterDto.properties as Record<string, Json>;
    // Only the compiler plugin's class-validator shim writes these (tests compile with it too).
    expect(register.email).toMatchObject({ maxLength: 254 });
    expect(register.password).toMatchObject({ minLength: 8, maxLength: 128 });
  });

  it('should match the document on the auth and user routes', async () => {
    const http = () => app.http();
    const username = `contract_${Date.now().toString(36)}`;
    contract.check(
      'post',
      '/api/users/register',
      await http()
        .post('/api/users/register')
        .send({ username, email: `${username}@example.com`, password: 'correct-horse-battery' }),
    );
    contract.check(
      'post',
      '/api/users/register',
      await http()
        .post('/api/users/register')
        .send({ username, email: `${username}@example.com`, password: 'correct-horse-battery' }),
    );
    contract.check(
      'post',
      '/api/users/register',
      await http().post('/api/users/register').send({}),
    );
    const login = await http()
      .post('/api/users/login')
      .send({ username, password: 'correct-horse-battery' });
    contract.check('post', '/api/users/login', login);
    contract.check(
      'post',
      '/api/users/login',
      await http().post('/api/users/login').send({ username, password: 'wrong-password-1' }),
    );
    const refresh = await http()
      .post('/api/auth/refresh')
      .send({ refreshToken: (login.body as { data: { refreshToken: string } }).data.refreshToken });
    contract.check('post', '/api/auth/refresh', refresh);
    contract.check(
      'post',
      '/api/auth/refresh',
      await http().post('/api/auth/refresh').send({ refreshToken: 'nope' }),
    );
    const token = (refresh.body as { data: { accessToken: string } }).data.accessToken;
    contract.check(
      'post',
      '/api/auth/logout',
      await http().post('/api/auth/logout').set('Authorization', `Bearer ${token}`),
    );

    contract.check(
      'get',
      '/api/users/me',
      await http().get('/api/users/me').set('Authorization', alice.auth),
    );
    contract.check('get', '/api/users/me', await http().get('/api/users/me'));
    contract.check(
      'get',
      '/api/users',
      await http()
        .get('/api/users')
        .query({ search: 'contract', limit: 2 })
        .set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/users/{userID}',
      await http().get(`/api/users/${bob.id}`).set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/users/{userID}',
      await http().get('/api/users/not-a-uuid').set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/users/{userID}',
      await http()
        .get('/api/users/00000000-0000-4000-8000-000000000000')
        .set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/users/{userID}/status',
      await http().get(`/api/users/${bob.id}/status`).set('Authorization', alice.auth),
    );
  });

  it('should match the document on the group, message and conversation routes', async () => {
    const http = () => app.http();
    const created = await http()
      .post('/api/groups')
      .set('Authorization', alice.auth)
      .send({ name: 'Contract team', description: 'Checks the document' });
    contract.check('post', '/api/groups', created);
    const groupId = (created.body as { data: { id: string } }).data.id;
    contract.check(
      'post',
      '/api/groups',
      await http().post('/api/groups').set('Authorization', alice.auth).send({ name: '' }),
    );
    contract.check(
      'get',
      '/api/groups',
      await http().get('/api/groups').set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/groups/{groupID}',
      await http().get(`/api/groups/${groupId}`).set('Authorization', bob.auth),
    );
    contract.check(
      'post',
      '/api/groups/{groupID}/members',
      await http()
        .post(`/api/groups/${groupId}/members`)
        .set('Authorization', alice.auth)
        .send({ userID: bob.id }),
    );
    contract.check(
      'post',
      '/api/groups/{groupID}/members',
      await http()
        .post(`/api/groups/${groupId}/members`)
        .set('Authorization', alice.auth)
        .send({ userID: bob.id }),
    );
    contract.check(
      'post',
      '/api/groups/{groupID}/members',
      await http()
        .post(`/api/groups/${groupId}/members`)
        .set('Authorization', bob.auth)
        .send({ userID: alice.id }),
    );
    contract.check(
      'patch',
      '/api/groups/{groupID}/members/{userID}',
      await http()
        .patch(`/api/groups/${groupId}/members/${bob.id}`)
        .set('Authorization', alice.auth)
        .send({ role: 'admin' }),
    );
    contract.check(
      'get',
      '/api/groups/{groupID}/members',
      await http()
        .get(`/api/groups/${groupId}/members`)
        .query({ limit: 1 })
        .set('Authorization', alice.auth),
    );

    const direct = await http()
      .post('/api/messages/send')
      .set('Authorization', alice.auth)
      .send({ recipientID: bob.id, content: 'Hello Bob', clientMessageID: 'contract-1' });
    contract.check('post', '/api/messages/send', direct);
    const message = (direct.body as { data: { id: string; conversationID: string } }).data;
    contract.check(
      'post',
      '/api/messages/send',
      await http()
        .post('/api/messages/send')
        .set('Authorization', bob.auth)
        .send({ groupID: groupId, content: 'Hi team' }),
    );
    contract.check(
      'post',
      '/api/messages/send',
      await http()
        .post('/api/messages/send')
        .set('Authorization', bob.auth)
        .send({ content: 'to nobody' }),
    );
    contract.check(
      'get',
      '/api/messages/history/{conversationID}',
      await http()
        .get(`/api/messages/history/${message.conversationID}`)
        .set('Authorization', bob.auth),
    );
    contract.check(
      'get',
      '/api/messages/history/{conversationID}',
      await http()
        .get(`/api/messages/history/${groupId}`)
        .query({ limit: 1 })
        .set('Authorization', alice.auth),
    );
    contract.check(
      'get',
      '/api/messages/unread',
      await http().get('/api/messages/unread').set('Authorization', bob.auth),
    );
    // A direct conversation (group: null) and a group one (peer: null), with and without a next page.
    contract.check(
      'get',
      '/api/conversations',
      await http().get('/api/conversations').set('Authorization', bob.auth),
    );
    contract.check(
      'get',
      '/api/conversations',
      await http().get('/api/conversations').query({ limit: 1 }).set('Authorization', bob.auth),
    );
    contract.check(
      'put',
      '/api/messages/{messageID}/read',
      await http().put(`/api/messages/${message.id}/read`).set('Authorization', bob.auth),
    );
    contract.check(
      'post',
      '/api/conversations/{conversationID}/read',
      await http()
        .post(`/api/conversations/${message.conversationID}/read`)
        .set('Authorization', bob.auth)
        .send({}),
    );
    contract.check(
      'delete',
      '/api/groups/{groupID}/members/{userID}',
      await http()
        .delete(`/api/groups/${groupId}/members/${bob.id}`)
        .set('Authorization', alice.auth),
    );
    contract.check(
      'delete',
      '/api/groups/{groupID}/leave',
      await http().delete(`/api/groups/${groupId}/leave`).set('Authorization', alice.auth),
    );
  });

  it('should match the document on the 429 of the request budget', async () => {
    const limited = await createTestApp({ env: { RATE_LIMIT_REQUESTS: '1' } });
    try {
      const served = await limited.http().get('/docs-json').expect(200);
      const strict = new Contract(served.body as Json);
      strict.check('get', '/api/users/me', await limited.http().get('/api/users/me'));
      const answer = await limited.http().get('/api/users/me');
      expect(answer.status).toBe(429);
      strict.check('get', '/api/users/me', answer);
    } finally {
      await limited.close();
    }
  });
});
