import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import type { RealtimeSession } from '../libs/sdk/src';
import { holdLoopLate } from './utils/loop';
import { signedIn, until } from './utils/sdk-fixtures';
import { createTestApp, type TestApp } from './utils/test-app';

describe('SDK retries against the real rate limit (RATE_LIMIT_MESSAGES=2 per 10 s)', () => {
  let app: TestApp;
  const sessions: RealtimeSession[] = [];

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_MESSAGES: '2' } });
  });

  after(async () => {
    sessions.forEach((session) => session.close());
    await app.close();
  });

  it('should retry a RATE_LIMITED socket send after the retryAfterMs hint and store it once', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const aliceLive = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
    const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(aliceLive, bobLive);
    await Promise.all([aliceLive.ready(), bobLive.ready()]);
    const received: Message[] = [];
    bobLive.onMessage((message) => received.push(message));

    await aliceLive.send({ recipientID: bob.user.id, content: 'one' });
    await aliceLive.send({ recipientID: bob.user.id, content: 'two' });
    // Over the limit: the server answers RATE_LIMITED with retryAfterMs; the SDK waits and resends.
    const started = Date.now();
    const third = await aliceLive.send({
      recipientID: bob.user.id,
      content: 'three',
      clientMessageID: 'retry-three',
    });
    expect(Date.now() - started).toBeGreaterThan(100);
    expect(third).toMatchObject({ content: 'three', clientMessageID: 'retry-three', seq: 3 });

    const page = await bob.client.history(alice.user.id);
    expect(page.items.map((m) => m.content)).toEqual(['three', 'two', 'one']);
    await bobLive.socket.timeout(5_000).emitWithAck('ping');
    expect(received.map((m) => m.content)).toEqual(['one', 'two', 'three']);
  });
});

describe('SDK retries against real load shedding (MESSAGE_QUEUE_LIMIT=4)', () => {
  let app: TestApp;
  const sessions: RealtimeSession[] = [];

  before(async () => {
    app = await createTestApp({ env: { MESSAGE_QUEUE_LIMIT: '4' } });
  });

  after(async () => {
    sessions.forEach((session) => session.close());
    await app.close();
  });

  it('should get every send of a burst through by resending the shed ones (UNAVAILABLE) with the same clientMessageID', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const aliceLive = alice.client.connect({
      socketOptions: { transports: ['websocket'] },
      retry: { maxAttempts: 20 },
    });
    const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(aliceLive, bobLive);
    await Promise.all([aliceLive.ready(), bobLive.ready()]);
    const received: Message[] = [];
    bobLive.onMessage((message) => received.push(message));
    await aliceLive.send({ recipientID: bob.user.id, content: 'warm' });

    let attempts = 0;
    aliceLive.socket.onAnyOutgoing((event: string) => {
      attempts += event === 'send_message' ? 1 : 0;
    });
    const count = 80;
    const sent = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        aliceLive.send({ recipientID: bob.user.id, content: `burst ${i}` }),
      ),
    );
    // Some were shed and resent, and still each is stored once.
    expect(attempts).toBeGreaterThan(count);
    expect(new Set(sent.map((m) => m.id)).size).toBe(count);
    const page = await bob.client.history(alice.user.id, { limit: 100 });
    expect(page.items).toHaveLength(count + 1);
    await bobLive.socket.timeout(5_000).emitWithAck('ping');
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: count + 1 }, (_, i) => i + 1));
  });
});

describe('SDK reconnects after a connect admission refusal (CONNECT_LOOP_LAG_LIMIT_MS=100)', () => {
  let app: TestApp;
  const sessions: RealtimeSession[] = [];

  before(async () => {
    app = await createTestApp({
      env: { CONNECT_LOOP_LAG_LIMIT_MS: '100', CONNECT_MAX_IN_FLIGHT: '0' },
    });
  });

  after(async () => {
    sessions.forEach((session) => session.close());
    await app.close();
  });

  it('should wait at least the refusal retryAfterMs, then connect, not treating UNAVAILABLE as a refused token', async () => {
    const alice = await signedIn(app, 'alice');
    const refusals: { at: number; data: { code?: string; retryAfterMs?: number } }[] = [];
    const late = holdLoopLate(150);
    let live: RealtimeSession;
    try {
      await until(() => late.turns() >= 6, 10_000);
      live = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
      sessions.push(live);
      live.socket.on('connect_error', (error: Error & { data?: unknown }) => {
        refusals.push({ at: Date.now(), data: error.data ?? {} });
      });
      await until(() => refusals.length > 0, 10_000);
    } finally {
      await late.stop();
    }
    await live.ready();
    const connectedAt = Date.now();
    expect(refusals[0].data).toMatchObject({ code: 'UNAVAILABLE' });
    const last = refusals[refusals.length - 1];
    expect(last.data.retryAfterMs).toBeGreaterThanOrEqual(250);
    expect(connectedAt - last.at).toBeGreaterThanOrEqual(last.data.retryAfterMs!);
    expect(live.socket.connected).toBe(true);
  });
});
