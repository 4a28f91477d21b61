import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import { createTestApp, serverUrl, type TestApp } from './utils/test-app';

describe('operations', () => {
  let app: TestApp;

  before(async () => {
    app = await createTestApp();
  });

  after(async () => {
    await app.close();
  });

  it('should answer /health with the bare status object', async () => {
    const response = await app.http().get('/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      database: 'up',
      redis: 'disabled',
      totalUsers: 0,
    });
    expect(typeof response.body.timestamp).toBe('string');
    expect(response.body.activeConnections).toBe(0);
  });

  it('should serve Prometheus text at /metrics', async () => {
    const response = await app.http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toContain('http_request_duration_seconds');
  });

  it('should serve the OpenAPI document at /docs-json', async () => {
    const response = await app.http().get('/docs-json').expect(200);
    expect(response.body.openapi).toMatch(/^3\./);
    expect(Object.keys(response.body.paths)).toContain('/api/users/register');
  });

  it('should answer an unknown route with the 404 envelope', async () => {
    const response = await app.http().get('/api/does-not-exist').expect(404);
    expect(response.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('should answer 503 with database down when PostgreSQL is unreachable', async () => {
    const doomed = await createTestApp();
    try {
      const name = new URL(doomed.databaseUrl).pathname.slice(1);
      const admin = new Client({ connectionString: serverUrl() });
      await admin.connect();
      await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await admin.end();
      const response = await doomed.http().get('/health').expect(503);
      expect(response.body).toMatchObject({ status: 'error', database: 'down' });
      expect(response.body.success).toBeUndefined();
    } finally {
      await doomed.close().catch(() => undefined);
    }
  });
});
