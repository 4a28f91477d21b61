import { describe, it } from 'node:test';
import { expect } from 'expect';
import { ApiError, parseRetryAfter } from './api-error';
import { MessagingHttpClient } from './http-client';
import { backoffDelay, resolveRetryOptions, withRetry } from './retry';
import { FakeClock } from '../test/fakes';

const MESSAGE = { id: 'm1', conversationID: 'c1', seq: 1, content: 'hi' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const unavailable = (retryAfter: string) =>
  json(
    503,
    { success: false, error: { code: 'UNAVAILABLE', message: 'Over capacity' } },
    { 'retry-after': retryAfter },
  );

/** A fetch that answers from a script and records each request body. */
function scriptedFetch(answers: (() => Response)[]) {
  const bodies: Record<string, unknown>[] = [];
  const fetchFn = (_url: unknown, init?: RequestInit) => {
    bodies.push(JSON.parse(init?.body as string));
    const next = answers.shift();
    if (!next) {
      throw new Error('no scripted answer left');
    }
    return Promise.resolve(next());
  };
  return { fetch: fetchFn as unknown as typeof fetch, bodies };
}

function client(fetchFn: typeof fetch, clock: FakeClock, maxTotalWaitMs = 30_000) {
  return new MessagingHttpClient({
    baseUrl: 'http://api.test',
    fetch: fetchFn,
    retry: { clock, random: () => 0.5, maxTotalWaitMs },
  });
}

describe('SDK retries (HTTP sends)', () => {
  it('should retry a send answered 503 UNAVAILABLE after Retry-After plus jitter, with the same clientMessageID', async () => {
    const clock = new FakeClock(true);
    const { fetch, bodies } = scriptedFetch([
      () => unavailable('2'),
      () => json(201, { success: true, data: MESSAGE }),
    ]);
    const sent = await client(fetch, clock).sendMessage({ recipientID: 'u2', content: 'hi' });
    expect(sent).toEqual(MESSAGE);
    expect(bodies).toHaveLength(2);
    expect(bodies[0].clientMessageID).toMatch(/^[0-9a-f-]{36}$/);
    expect(bodies[1].clientMessageID).toBe(bodies[0].clientMessageID);
    // 2 s hint + half of the jitter range (random 0.5 of up to 1 s).
    expect(clock.waits).toEqual([2_500]);
  });

  it('should retry a send answered 429 RATE_LIMITED after its Retry-After', async () => {
    const clock = new FakeClock(true);
    const { fetch, bodies } = scriptedFetch([
      () =>
        json(
          429,
          { success: false, error: { code: 'RATE_LIMITED', message: 'Slow down' } },
          { 'retry-after': '4' },
        ),
      () => json(201, { success: true, data: MESSAGE }),
    ]);
    await client(fetch, clock).sendMessage({
      recipientID: 'u2',
      content: 'hi',
      clientMessageID: 'mine-1',
    });
    expect(bodies.map((b) => b.clientMessageID)).toEqual(['mine-1', 'mine-1']);
    expect(clock.waits).toEqual([5_000]);
  });

  it('should give up with the last error once the next wait would pass maxTotalWaitMs', async () => {
    const clock = new FakeClock(true);
    const { fetch, bodies } = scriptedFetch(
      Array.from({ length: 10 }, () => () => unavailable('10')),
    );
    const error = await client(fetch, clock, 20_000)
      .sendMessage({ recipientID: 'u2', content: 'hi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryAfterMs: 10_000 });
    // 11 s + 11 s would end past 20 s: one wait, two tries.
    expect(clock.waits).toEqual([11_000]);
    expect(bodies).toHaveLength(2);
  });

  it('should not retry an error that retrying cannot fix', async () => {
    const clock = new FakeClock(true);
    const { fetch, bodies } = scriptedFetch([
      () =>
        json(400, { success: false, error: { code: 'VALIDATION_FAILED', message: 'Bad content' } }),
    ]);
    await expect(
      client(fetch, clock).sendMessage({ recipientID: 'u2', content: '' }),
    ).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(bodies).toHaveLength(1);
    expect(clock.waits).toEqual([]);
  });

  it('should back off exponentially with jitter after network failures, up to maxAttempts', async () => {
    const clock = new FakeClock(true);
    let calls = 0;
    const options = resolveRetryOptions({ clock, random: () => 0, maxAttempts: 4 });
    const error = await withRetry(() => {
      calls += 1;
      return Promise.reject(new TypeError('fetch failed'));
    }, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(calls).toBe(4);
    expect(clock.waits).toEqual([250, 500, 1_000]);
  });
});

describe('SDK retry arithmetic', () => {
  it('should keep backoff between half and all of the capped exponential step', () => {
    const base = { baseDelayMs: 500, maxDelayMs: 10_000 };
    expect(backoffDelay(0, { ...base, random: () => 0 })).toBe(250);
    expect(backoffDelay(0, { ...base, random: () => 0.999999 })).toBe(500);
    expect(backoffDelay(3, { ...base, random: () => 0 })).toBe(2_000);
    expect(backoffDelay(10, { ...base, random: () => 0 })).toBe(5_000);
    expect(backoffDelay(10, { ...base, random: () => 0.999999 })).toBe(10_000);
    expect(backoffDelay(1_000, { ...base, random: () => 0.5 })).toBe(7_500);
  });

  it('should read Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
