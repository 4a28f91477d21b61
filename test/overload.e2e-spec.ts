import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { Message } from '../libs/contracts/src';
import { MessageWriter } from '../src/messaging/message-writer.service';
import { closeAll } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUsers } from './utils/sql-factories';
import { until } from './utils/instances';
import { createTestApp, type TestApp } from './utils/test-app';
import { connectSocket, emitWithAck, type TestSocket } from './utils/ws-client';

/** Counts the statements that create direct conversations (one per new pair is the goal). */
function countConversationCreations(app: TestApp): { count: number } {
  const dataSource = app.app.get(DataSource);
  const query = dataSource.query.bind(dataSource);
  const counter = { count: 0 };
  dataSource.query = ((sql: string, parameters?: unknown[]) => {
    if (sql.includes('INSERT INTO conversations')) {
      counter.count += 1;
    }
    return query(sql, parameters);
  }) as DataSource['query'];
  return counter;
}

describe('cold start: a burst of first sends for many new pairs', () => {
  let app: TestApp;
  let users: RegisteredUser[];

  before(async () => {
    app = await createTestApp();
    users = await signedInUsers(
      app.app,
      Array.from({ length: 16 }, (_, i) => `cold${i}`),
    );
  });

  after(async () => {
    await app.close();
  });

  it('should create one conversation per pair, with at most one statement per pair, and ack every send', async () => {
    const creations = countConversationCreations(app);
    // Every user writes to every other at once, both directions and 2 messages each: 480 sends
    // over 120 new pairs, all on a cold cache.
    const sends: { from: RegisteredUser; to: RegisteredUser; tag: string }[] = [];
    for (const from of users) {
      for (const to of users) {
        if (from !== to) {
          sends.push(
            { from, to, tag: `${from.id}>${to.id}#1` },
            { from, to, tag: `${from.id}>${to.id}#2` },
          );
        }
      }
    }
    const started = Date.now();
    const responses = await Promise.all(
      sends.map(({ from, to, tag }) =>
        app
          .http()
          .post('/api/messages/send')
          .set('Authorization', from.auth)
          .send({ recipientID: to.id, content: tag, clientMessageID: tag.slice(-40) }),
      ),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const pairs = (users.length * (users.length - 1)) / 2;
    // New pairs of one event-loop turn share a statement: at most one per pair, never more.
    expect(creations.count).toBeLessThanOrEqual(pairs);
    const dataSource = app.app.get(DataSource);
    const [conversations] = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM conversations WHERE type = 'direct'`,
    );
    expect(Number(conversations.n)).toBe(pairs);
    const [members] = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM conversation_members`,
    );
    expect(Number(members.n)).toBe(pairs * 2);
    const [messages] = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM messages`,
    );
    expect(Number(messages.n)).toBe(sends.length);
  });

  it('should answer a send to a user that does not exist with 404 and create nothing', async () => {
    const response = await app
      .http()
      .post('/api/messages/send')
      .set('Authorization', users[0].auth)
      .send({ recipientID: '00000000-0000-4000-8000-000000000000', content: 'nobody' });
    expect(response.status).toBe(404);
    const [row] = await app.app
      .get(DataSource)
      .query<{ n: string }[]>(
        `SELECT count(*) AS n FROM conversations WHERE user_low = '00000000-0000-4000-8000-000000000000' OR user_high = '00000000-0000-4000-8000-000000000000'`,
      );
    expect(Number(row.n)).toBe(0);
  });

  it('should run the app pool under the statement, lock and idle-in-transaction timeouts', async () => {
    const [row] = await app.app
      .get(DataSource)
      .query<{ statement: string; lock: string; idle: string }[]>(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      );
    expect(row).toEqual({ statement: '15s', lock: '5s', idle: '1min' });
  });

  it('should refuse a clientMessageID with a NUL or a lone surrogate with 400', async () => {
    for (const clientMessageID of ['bad\u0000id', 'bad\ud800id']) {
      const response = await app
        .http()
        .post('/api/messages/send')
        .set('Authorization', users[0].auth)
        .send({ recipientID: users[1].id, content: 'x', clientMessageID });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});

/**
 * Holds the rows of every direct conversation locked (as a slow database would), so the writer's
 * batch waits and later sends pile up in its queue, whatever the speed of the machine. Returns the
 * release.
 */
async function holdDirectConversations(app: TestApp): Promise<() => Promise<void>> {
  const ids = (
    await app.app
      .get(DataSource)
      .query<{ id: string }[]>(`SELECT id FROM conversations WHERE type = 'direct'`)
  ).map((row) => row.id);
  const client = new Client({ connectionString: app.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM conversations WHERE id = ANY($1::uuid[]) FOR UPDATE', [ids]);
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

describe('overload: a small send queue sheds the excess at once', () => {
  let app: TestApp;
  let senders: RegisteredUser[];
  let recipient: RegisteredUser;
  const sockets: TestSocket[] = [];

  before(async () => {
    app = await createTestApp({
      env: { MESSAGE_QUEUE_LIMIT: '4', DATABASE_LOCK_TIMEOUT_MS: '60000' },
    });
    [recipient, ...senders] = await signedInUsers(app.app, [
      'inbox',
      'shed0',
      'shed1',
      'shed2',
      'shed3',
    ]);
  });

  after(async () => {
    closeAll(...sockets);
    await app.close();
  });

  it('should answer what exceeds the bound with UNAVAILABLE and a retry hint, and store and deliver every acked send', async () => {
    const inbox = await connectSocket(app.baseUrl, recipient.accessToken);
    sockets.push(inbox);
    const received = new Set<string>();
    inbox.on('message', (message: Message) => received.add(message.id));
    const senderSockets = await Promise.all(
      senders.map((s) => connectSocket(app.baseUrl, s.accessToken)),
    );
    sockets.push(...senderSockets);
    // Warm the pairs so the burst measures the writer, not conversation creation.
    await Promise.all(
      senderSockets.map((socket) =>
        emitWithAck(socket, 'send_message', { recipientID: recipient.id, content: 'warm' }),
      ),
    );
    const release = await holdDirectConversations(app);
    const settled: boolean[] = [];
    const pending = Array.from({ length: 200 }, (_, i) =>
      emitWithAck<Message>(senderSockets[i % senderSockets.length], 'send_message', {
        recipientID: recipient.id,
        content: `burst ${i}`,
      }).then((ack) => {
        settled.push(ack.success);
        return { ack };
      }),
    );
    // The excess is answered while the accepted sends still wait for the database.
    await until('sends shed', () => (settled.length >= 196 ? true : undefined), 20_000);
    expect(settled.every((success) => !success)).toBe(true);
    await release();
    const acks = await Promise.all(pending);
    const accepted = acks.filter((a) => a.ack.success);
    const shed = acks.filter((a) => !a.ack.success);
    expect(accepted.length).toBe(4);
    expect(shed.length).toBe(196);
    for (const { ack } of shed) {
      expect(ack.error).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
    }
    const storedIds = await app.app
      .get(DataSource)
      .query<{ id: string }[]>(`SELECT id FROM messages WHERE content LIKE 'burst %'`);
    expect(new Set(storedIds.map((row) => row.id))).toEqual(
      new Set(accepted.map((a) => (a.ack.data as Message).id)),
    );
    // Delivered: a round trip on the inbox after the acks means every push has arrived.
    await emitWithAck(inbox, 'ping');
    for (const { ack } of accepted) {
      expect(received.has((ack.data as Message).id)).toBe(true);
    }
  });

  it('should answer an HTTP send over the bound with 503 and Retry-After', async () => {
    const release = await holdDirectConversations(app);
    const answered: number[] = [];
    const pending = Array.from({ length: 12 }, (_, i) =>
      app
        .http()
        .post('/api/messages/send')
        .set('Authorization', senders[i % senders.length].auth)
        .send({ recipientID: recipient.id, content: `http ${i}` })
        .then((response) => {
          answered.push(response.status);
          return response;
        }),
    );
    await until('HTTP sends shed', () => (answered.length >= 8 ? true : undefined), 20_000);
    await release();
    const responses = await Promise.all(pending);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((status) => status === 201).length).toBe(4);
    expect(statuses.filter((status) => status === 503).length).toBe(8);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ success: false, error: { code: 'UNAVAILABLE' } });
  });
});

describe('overload: a late event loop sheds sends at once while sends pile up', () => {
  let app: TestApp;
  let sender: RegisteredUser;
  let recipient: RegisteredUser;
  let socket: TestSocket;

  before(async () => {
    // The age bound off, so only the loop-lag bound can refuse here.
    app = await createTestApp({
      env: { MESSAGE_LOOP_LAG_LIMIT_MS: '100', MESSAGE_QUEUE_MAX_WAIT_MS: '0' },
    });
    [sender, recipient] = await signedInUsers(app.app, ['lagsend', 'lagrecv']);
    socket = await connectSocket(app.baseUrl, sender.accessToken);
  });

  after(async () => {
    closeAll(socket);
    await app.close();
  });

  const send = (content: string) =>
    emitWithAck<Message>(socket, 'send_message', { recipientID: recipient.id, content });

  it('should accept a send after long turns when few are queued (slow, not overloaded), refuse one while sends pile up, and store nothing for it', async () => {
    expect((await send('on time')).success).toBe(true);
    // A late loop with nothing queued (a reconnect storm's handshakes): the message is still taken.
    await lateTurns();
    expect((await send('late, queue empty')).success).toBe(true);

    const writer = app.app.get(MessageWriter);
    // The smoothed lag decays over a few on-time ticks: queue the next sends once it has, or the
    // gate would (rightly) refuse some of them before 70 are queued.
    await until('the loop on time again', () => (writer.loopLagging ? undefined : true), 5_000);
    const release = await holdDirectConversations(app);
    const queued = Array.from({ length: 70 }, (_, i) => send(`queued ${i}`));
    await until('sends queued', () => (writer.queued >= 70 ? true : undefined), 10_000);
    await lateTurns();
    const refused = await send('late, queue full');
    expect(refused).toMatchObject({
      success: false,
      error: { code: 'UNAVAILABLE', retryAfterMs: 1000 },
    });
    await release();
    expect((await Promise.all(queued)).every((ack) => ack.success)).toBe(true);
    const stored = await app.app
      .get(DataSource)
      .query<{ n: string }[]>(
        `SELECT count(*) AS n FROM messages WHERE content LIKE 'late, queue full'`,
      );
    expect(Number(stored[0].n)).toBe(0);
    const metrics = await app.http().get('/metrics');
    expect(metrics.text).toMatch(/requests_shed_total\{reason="event_loop_lag"\} 1/);
  });
});

/** Turns of 400 ms in a row, as a flood of frames makes (the server shares this process). */
async function lateTurns(): Promise<void> {
  for (let turn = 0; turn < 4; turn += 1) {
    const turnEnds = performance.now() + 400;
    while (performance.now() < turnEnds) {
      // one long turn
    }
    // The timers phase runs between the turns: the gate measures each one.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
