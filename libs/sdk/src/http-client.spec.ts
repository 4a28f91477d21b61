import { describe, it } from 'node:test';
import { expect } from 'expect';
import { MessagingHttpClient } from './http-client';

function client() {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetchFn = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    calls.push({
      method: init?.method ?? 'GET',
      url,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const data = url.includes('/api/conversations?')
      ? [{ id: `c${calls.length}`, version: calls.length }]
      : {};
    const pagination = { limit: 100, hasMore: calls.length < 2, nextCursor: 'next' };
    return Promise.resolve(
      new Response(JSON.stringify({ success: true, data, pagination }), { status: 200 }),
    );
  };
  return { api: new MessagingHttpClient({ baseUrl: 'http://api.test/', fetch: fetchFn }), calls };
}

describe('MessagingHttpClient message lifecycle methods', () => {
  it('should URL-encode the emoji and message id of reaction routes', async () => {
    const { api, calls } = client();
    await api.addReaction('m/1', '#️⃣');
    await api.removeReaction('m1', ':+1:');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'PUT http://api.test/api/messages/m%2F1/reactions/%23%EF%B8%8F%E2%83%A3',
      'DELETE http://api.test/api/messages/m1/reactions/%3A%2B1%3A',
    ]);
  });

  it('should call the edit, delete, replies and changes routes with their bodies and queries', async () => {
    const { api, calls } = client();
    await api.editMessage('m1', { content: 'new', mentions: ['u2'] });
    await api.deleteMessage('m1');
    await api.replies('m1', { limit: 10, after: 3 });
    await api.changes('c1', { sinceVersion: 7, limit: 50 });
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['PATCH', 'http://api.test/api/messages/m1', { content: 'new', mentions: ['u2'] }],
      ['DELETE', 'http://api.test/api/messages/m1', undefined],
      ['GET', 'http://api.test/api/messages/m1/replies?limit=10&after=3', undefined],
      ['GET', 'http://api.test/api/conversations/c1/changes?sinceVersion=7&limit=50', undefined],
    ]);
  });

  it('should page GET /api/conversations to the end for conversationVersions', async () => {
    const { api, calls } = client();
    await expect(api.conversationVersions()).resolves.toEqual({ c1: 1, c2: 2 });
    expect(calls.map((c) => c.url)).toEqual([
      'http://api.test/api/conversations?limit=100',
      'http://api.test/api/conversations?limit=100&cursor=next',
    ]);
  });
});
