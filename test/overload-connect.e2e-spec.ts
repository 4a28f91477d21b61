import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import type { Message } from '../libs/contracts/src';
import { HandshakeAdmission } from '../src/realtime/handshake-admission';
import { closeAll } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { until } from './utils/instances';
import { holdLoopLate } from './utils/loop';
import { PlainWsClient, plainWsUrl } from './utils/plain-ws-client';
import { signedInUsers } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { connectSocket, emitWithAck, waitForEvent, type TestSocket } from './utils/ws-client';

/** Resolves with the `connect_error` of a Socket.IO handshake that is expected to be refused. */
async function connectRefusal(
  baseUrl: string,
  token: string,
): Promise<Error & { data?: Record<string, unknown> }> {
  const outcome = await connectSocket(baseUrl, token).then(
    (socket) => {
      socket.close();
      return new Error('connected');
    },
    (error: Error & { data?: Record<string, unknown> }) => error,
  );
  return outcome;
}

describe('connect admission: a late event loop refuses new connections first', () => {
  let app: TestApp;
  let sender: RegisteredUser;
  let recipient: RegisteredUser;
  let newcomer: RegisteredUser;
  const sockets: TestSocket[] = [];

  before(async () => {
    // Only the loop-lag bound of connections can refuse here (the sends' bound is the default 300).
    app = await createTestApp({
      env: { CONNECT_LOOP_LAG_LIMIT_MS: '100', CONNECT_MAX_IN_FLIGHT: '0' },
    });
    [sender, recipient, newcomer] = await signedInUsers(app.app, ['cgsend', 'cgrecv', 'cgnew']);
    sockets.push(
      await connectSocket(app.baseUrl, sender.accessToken),
      await connectSocket(app.baseUrl, recipient.accessToken),
    );
  });

  after(async () => {
    closeAll(...sockets);
    await app.close();
  });

  it('should refuse a Socket.IO handshake and a plain-ws upgrade UNAVAILABLE with a retry hint while the loop lags, keep taking and delivering sends, and connect again once it is on time', async () => {
    const [senderSocket, recipientSocket] = sockets;
    const late = holdLoopLate(150);
    try {
      // 150 ms turns: the smoothed lag passes 100 ms after four of them.
      await until('the loop to be late', () => (late.turns() >= 6 ? true : undefined), 10_000);

      const refused = await connectRefusal(app.baseUrl, newcomer.accessToken);
      expect(refused.message).toBe('UNAVAILABLE');
      expect(refused.data).toMatchObject({ code: 'UNAVAILABLE', message: expect.any(String) });
      expect(refused.data?.retryAfterMs).toBeGreaterThanOrEqual(250);

      const upgrade = await PlainWsClient.refusalWithHeaders(
        plainWsUrl(app.baseUrl, newcomer.accessToken),
      );
      expect(upgrade.status).toBe(503);
      expect(Number(upgrade.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(upgrade.body).toEqual({
        success: false,
        error: { code: 'UNAVAILABLE', message: expect.any(String) },
      });

      // Messages keep priority: a connected socket's send is taken and delivered meanwhile.
      const delivered = waitForEvent<Message>(
        recipientSocket,
        'message',
        (message) => message.content === 'during the lag',
        15_000,
      );
      const ack = await emitWithAck<Message>(
        senderSocket,
        'send_message',
        { recipientID: recipient.id, content: 'during the lag' },
        15_000,
      );
      expect(ack).toMatchObject({ success: true, data: { content: 'during the lag' } });
      expect((await delivered).id).toBe(ack.data?.id);
    } finally {
      await late.stop();
    }

    const again = await connectSocket(app.baseUrl, newcomer.accessToken);
    sockets.push(again);
    expect(again.connected).toBe(true);
    const plain = await PlainWsClient.connect(app.baseUrl, newcomer.accessToken);
    await plain.next((frame) => frame.type === 'connected', 'connected');
    plain.socket.close();

    const metrics = await app.http().get('/metrics');
    expect(metrics.text).toMatch(
      /ws_handshakes_refused_total\{reason="event_loop_lag",transport="socket.io"\} 1\n/,
    );
    expect(metrics.text).toMatch(
      /ws_handshakes_refused_total\{reason="event_loop_lag",transport="plain-ws"\} 1\n/,
    );
  });
});

describe('connect admission: a bounded number of handshakes in flight', () => {
  let app: TestApp;
  let first: RegisteredUser;
  let second: RegisteredUser;
  const sockets: TestSocket[] = [];

  before(async () => {
    app = await createTestApp({
      env: { CONNECT_LOOP_LAG_LIMIT_MS: '0', CONNECT_MAX_IN_FLIGHT: '1' },
    });
    [first, second] = await signedInUsers(app.app, ['cgfirst', 'cgsecond']);
  });

  after(async () => {
    closeAll(...sockets);
    await app.close();
  });

  it('should refuse the next handshake before its token check while one is still being checked or set up, and take it once that one is done', async () => {
    // Hold the first handshake in flight: its session check (unless cached) or its set-up's catch-up
    // read waits for these locks. A token check of the second would wait too: it is refused before.
    const locker = new Client({ connectionString: app.databaseUrl });
    await locker.connect();
    let firstSocket: Promise<TestSocket> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query(
        'LOCK TABLE sessions, conversation_members, conversations, messages IN ACCESS EXCLUSIVE MODE',
      );
      firstSocket = connectSocket(app.baseUrl, first.accessToken);
      const admission = app.app.get(HandshakeAdmission);
      await until(
        'the first handshake in flight',
        () => admission.inFlight >= 1 || undefined,
        10_000,
      );

      const refused = await connectRefusal(app.baseUrl, second.accessToken);
      expect(refused.message).toBe('UNAVAILABLE');
      expect(refused.data).toMatchObject({ code: 'UNAVAILABLE' });
      expect(refused.data?.retryAfterMs).toBeGreaterThanOrEqual(250);
      const upgrade = await PlainWsClient.refusalWithHeaders(
        plainWsUrl(app.baseUrl, second.accessToken),
      );
      expect(upgrade.status).toBe(503);
      expect(upgrade.headers['retry-after']).toBeDefined();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    sockets.push(await firstSocket);
    // Its set-up (presence, catch-up) ends too, and then the next one is taken.
    await until(
      'no handshake in flight',
      () => app.app.get(HandshakeAdmission).inFlight === 0 || undefined,
      10_000,
    );
    sockets.push(await connectSocket(app.baseUrl, second.accessToken));
    const metrics = await app.http().get('/metrics');
    expect(metrics.text).toMatch(
      /ws_handshakes_refused_total\{reason="in_flight",transport="socket.io"\} 1\n/,
    );
    expect(metrics.text).toMatch(
      /ws_handshakes_refused_total\{reason="in_flight",transport="plain-ws"\} 1\n/,
    );
  });
});
