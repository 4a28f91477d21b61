import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JwtService } from '@nestjs/jwt';
import { expect } from 'expect';
import { Client } from 'pg';
import { WebSocket } from 'ws';
import type { Message, PresenceEvent, TypingEvent } from '../libs/contracts/src';
import { PresenceService } from '../src/presence/presence.service';
import { PlainWsTransport } from '../src/realtime/plain-ws/plain-ws.transport';
import { sendHttp } from './utils/api';
import { flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { PlainWsClient, plainWsUrl, type PlainFrame } from './utils/plain-ws-client';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents, connectSocket, emitWithAck, waitForEvent } from './utils/ws-client';

/** The brief's client: `new WebSocket('ws://host/ws?token=...')` with JSON frames (SPEC 5b). */
describe('plain WebSocket (SPEC 5b)', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let conversationID: string;
  const open: PlainWsClient[] = [];
  const connect = async (user: RegisteredUser): Promise<PlainWsClient> => {
    const client = await PlainWsClient.connect(app.baseUrl, user.accessToken);
    open.push(client);
    return client;
  };

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_TYPING: '3' } });
    app.app.get(PresenceService).graceMs = 200;
    [alice, bob] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
    ]);
    conversationID = (await sendHttp(app, alice, { recipientID: bob.id, content: 'hi bob' }))
      .conversationID;
  });

  after(async () => {
    for (const client of open) {
      client.close();
    }
    await app.close();
  });

  describe('handshake', () => {
    it('should say connected first, then deliver a message sent over HTTP', async () => {
      const client = await connect(alice);
      const [first] = [await client.next(() => true)];
      expect(first).toMatchObject({ type: 'connected', data: { userID: alice.id } });
      expect(Number.isNaN(Date.parse((first.data as { timestamp: string }).timestamp))).toBe(false);
      await client.event('caught_up');
      const sent = await sendHttp(app, bob, { recipientID: alice.id, content: 'over http' });
      const frame = await client.event('message', (m) => (m as Message).id === sent.id);
      expect(frame.data).toMatchObject({
        id: sent.id,
        senderID: bob.id,
        content: 'over http',
        timestamp: sent.timestamp,
      });
    });

    it('should refuse a missing, malformed, forged or expired token with HTTP 401', async () => {
      const jwt = app.app.get(JwtService);
      const expired = jwt.sign(
        { sub: alice.id, sid: '00000000-0000-4000-8000-000000000000', username: alice.username },
        {
          algorithm: 'HS256',
          expiresIn: -60,
          issuer: 'messaging-api',
          audience: 'messaging-api-clients',
        },
      );
      const forged = `${alice.accessToken.slice(0, -4)}AAAA`;
      for (const token of [undefined, '', 'not-a-jwt', forged, expired]) {
        const refused = await PlainWsClient.refusal(plainWsUrl(app.baseUrl, token));
        expect(refused).toEqual({
          status: 401,
          body: { success: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } },
        });
      }
    });

    it('should serve /ws/ without EIO as plain WebSocket too (engine.io never sees it)', async () => {
      const url = plainWsUrl(app.baseUrl, alice.accessToken).replace('/ws?', '/ws/?');
      const socket = new WebSocket(url);
      const first = await new Promise<PlainFrame>((resolve, reject) => {
        socket.once('message', (data: Buffer) =>
          resolve(JSON.parse(data.toString()) as PlainFrame),
        );
        socket.once('error', reject);
      });
      socket.close();
      expect(first).toMatchObject({ type: 'connected', data: { userID: alice.id } });
    });

    it('should accept the token as an Authorization header too', async () => {
      const client = await PlainWsClient.connect(app.baseUrl, alice.accessToken, {
        viaHeader: true,
      });
      open.push(client);
      expect(await client.event('connected')).toMatchObject({ data: { userID: alice.id } });
    });

    it('should leave Socket.IO on the same path untouched, also on the polling transport', async () => {
      for (const transports of [['websocket'], ['polling']]) {
        const socket = await connectSocket(app.baseUrl, alice.accessToken, { transports });
        try {
          expect((await emitWithAck(socket, 'ping')).success).toBe(true);
        } finally {
          socket.close();
        }
      }
    });

    it('should answer a plain HTTP request to /ws without hanging', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL('/ws', app.baseUrl);
        httpRequest(url, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('frames', () => {
    let client: PlainWsClient;

    before(async () => {
      client = await connect(alice);
      await client.event('caught_up');
    });

    it('should answer ping with pong, and with an ack when the frame has an id', async () => {
      client.send({ type: 'ping' });
      const pong = await client.event('pong');
      expect(typeof (pong.data as { timestamp: string }).timestamp).toBe('string');
      const ack = await client.request('ping');
      expect(ack).toMatchObject({
        type: 'ack',
        success: true,
        data: { timestamp: expect.any(String) },
      });
    });

    it('should ack a send with the stored message and deliver it to the recipient', async () => {
      const recipient = await connect(bob);
      await recipient.event('caught_up');
      const ack = await client.request('send_message', {
        recipientID: bob.id,
        content: 'acked over plain ws',
        clientMessageID: 'plain-1',
      });
      expect(ack).toMatchObject({
        type: 'ack',
        success: true,
        data: { senderID: alice.id, content: 'acked over plain ws', conversationID },
      });
      const stored = ack.data as Message;
      const delivered = await recipient.event('message', (m) => (m as Message).id === stored.id);
      expect(delivered.data).toEqual(stored);
      // The sending connection has its ack; it does not get its own message pushed back.
      await client.flush();
      expect(client.all('message').some((f) => (f.data as Message).id === stored.id)).toBe(false);
      recipient.close();
    });

    it('should answer bad frames with errors and keep the connection open', async () => {
      const errors: [unknown, string][] = [
        ['this is not json', 'VALIDATION_FAILED'],
        ['[1, 2, 3]', 'VALIDATION_FAILED'],
        [{ type: 'no_such_event', data: {} }, 'VALIDATION_FAILED'],
        [{ type: 'send_message', data: { recipientID: bob.id } }, 'VALIDATION_FAILED'],
        [{ type: 'send_message', data: 'just a string' }, 'VALIDATION_FAILED'],
        [{ type: 'ping', id: 'x'.repeat(65) }, 'VALIDATION_FAILED'],
        [
          { type: 'send_message', data: { recipientID: bob.id, content: 'x'.repeat(70_000) } },
          'PAYLOAD_TOO_LARGE',
        ],
        // A 2 MiB frame: answered too (the connection's hard limit is 4 MiB).
        [
          { type: 'send_message', data: { recipientID: bob.id, content: 'x'.repeat(2 << 20) } },
          'PAYLOAD_TOO_LARGE',
        ],
        [`{"type":"sync","data":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 'VALIDATION_FAILED'],
      ];
      for (const [frame, code] of errors) {
        client.send(frame);
        const error = await client.event('error');
        expect({
          frame: String(JSON.stringify(frame)).slice(0, 60),
          data: error.data,
        }).toMatchObject({
          data: { code, message: expect.any(String) },
        });
      }
      const acked: [string, unknown, string][] = [
        ['no_such_event', {}, 'VALIDATION_FAILED'],
        ['send_message', { recipientID: bob.id, content: 5 }, 'VALIDATION_FAILED'],
        ['send_message', { recipientID: bob.id, content: 'x', extra: true }, 'VALIDATION_FAILED'],
        ['mark_read', { conversationID, seq: 'one' }, 'VALIDATION_FAILED'],
        ['join_group', { groupID: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, 'NOT_FOUND'],
      ];
      for (const [type, data, code] of acked) {
        const ack = await client.request(type, data);
        expect({ type, ack }).toMatchObject({
          ack: { type: 'ack', success: false, error: { code, message: expect.any(String) } },
        });
      }
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      await client.flush();
    });

    it('should run the lifecycle events too: an edit is acked and pushed as message_updated', async () => {
      const recipient = await connect(bob);
      await recipient.event('caught_up');
      const sent = await client.request('send_message', { recipientID: bob.id, content: 'typo' });
      const id = (sent.data as Message).id;
      const edited = await client.request('edit_message', { messageID: id, content: 'fixed' });
      expect(edited).toMatchObject({ success: true, data: { id, content: 'fixed' } });
      const update = await recipient.event(
        'message_updated',
        (u) => (u as { message: Message }).message.id === id,
      );
      expect((update.data as { message: Message }).message.content).toBe('fixed');
      recipient.close();
    });

    it('should run the other client events: delivered, read, sync, set_status', async () => {
      const seq = (await sendHttp(app, bob, { recipientID: alice.id, content: 'to confirm' })).seq;
      const delivered = await client.request('message_delivered', { conversationID, seq });
      expect(delivered).toMatchObject({ success: true, data: { conversationID, seq } });
      const read = await client.request('mark_read', { conversationID, seq });
      expect(read).toMatchObject({ success: true, data: { conversationID, seq } });
      const sync = await client.request('sync', { conversationID, after: seq - 1 });
      expect(sync).toMatchObject({ success: true, data: { hasMore: false } });
      expect((sync.data as { messages: Message[] }).messages.map((m) => m.seq)).toEqual([seq]);
      const status = await client.request('set_status', { status: 'online' });
      expect(status).toMatchObject({ success: true, data: { status: 'online' } });
    });
  });

  describe('devices, catch-up, typing, presence, logout', () => {
    it('should give a Socket.IO device and a plain device of the same user every message', async () => {
      const plain = await connect(alice);
      await plain.event('caught_up');
      const io = await connectSocket(app.baseUrl, alice.accessToken);
      const onIo = collectEvents<Message>(io, 'message');
      const ioSender = await connectSocket(app.baseUrl, bob.accessToken);
      try {
        const viaHttp = await sendHttp(app, bob, { recipientID: alice.id, content: 'one' });
        const viaIo = await emitWithAck<Message>(ioSender, 'send_message', {
          recipientID: alice.id,
          content: 'two',
        });
        const sender = await connect(bob);
        const viaPlain = (
          await sender.request('send_message', { recipientID: alice.id, content: 'three' })
        ).data as Message;
        const ids = [viaHttp.id, viaIo.data?.id, viaPlain.id];
        for (const id of ids) {
          await plain.event('message', (m) => (m as Message).id === id);
        }
        await flush(io);
        expect(ids.every((id) => onIo.some((m) => m.id === id))).toBe(true);
      } finally {
        io.close();
        ioSender.close();
      }
    });

    it('should push on connect what the user missed, in seq order, then caught_up', async () => {
      const carol = await signedInUser(app.app, 'carol');
      const sent: Message[] = [];
      for (const content of ['while', 'you', 'were', 'away']) {
        sent.push(await sendHttp(app, bob, { recipientID: carol.id, content }));
      }
      const client = await connect(carol);
      const caughtUp = await client.event('caught_up');
      expect(caughtUp.data).toEqual({ messages: 4, syncRequired: 0 });
      expect(client.frames[0].type).toBe('connected');
      expect(client.all('message').map((f) => (f.data as Message).id)).toEqual(
        sent.map((m) => m.id),
      );
    });

    it('should carry typing both ways between plain and Socket.IO, limited per connection', async () => {
      const plain = await connect(alice);
      await plain.event('caught_up');
      const io = await connectSocket(app.baseUrl, bob.accessToken);
      try {
        const typed = waitForEvent<TypingEvent>(io, 'typing', (t) => t.userID === alice.id);
        const ack = await plain.request('typing', { conversationID, isTyping: true });
        expect(ack).toMatchObject({ success: true });
        expect(await typed).toEqual({ conversationID, userID: alice.id, isTyping: true });

        await emitWithAck(io, 'typing', { conversationID, isTyping: false });
        const frame = await plain.event('typing', (t) => (t as TypingEvent).userID === bob.id);
        expect(frame.data).toEqual({ conversationID, userID: bob.id, isTyping: false });

        const answers: PlainFrame[] = [];
        for (let i = 0; i < 3; i += 1) {
          answers.push(await plain.request('typing', { conversationID, isTyping: true }));
        }
        expect(answers.map((a) => a.success)).toEqual([true, true, false]);
        expect(answers[2].error?.code).toBe('RATE_LIMITED');
        // Another connection of the same user has its own budget.
        const other = await connect(alice);
        expect(await other.request('typing', { conversationID, isTyping: true })).toMatchObject({
          success: true,
        });
      } finally {
        io.close();
      }
    });

    it('should count a plain connection as a device for presence', async () => {
      const [erin, frank] = await Promise.all([
        signedInUser(app.app, 'erin'),
        signedInUser(app.app, 'frank'),
      ]);
      await sendHttp(app, erin, { recipientID: frank.id, content: 'hello' });
      const watcher = await connect(erin);
      const online = watcher.event('presence', (p) => {
        const event = p as PresenceEvent;
        return event.userID === frank.id && event.status === 'online';
      });
      const device = await connect(frank);
      await online;
      const offline = watcher.event('presence', (p) => {
        const event = p as PresenceEvent;
        return event.userID === frank.id && event.status === 'offline';
      });
      device.close();
      expect((await offline).data).toMatchObject({ lastSeen: expect.any(String) });
    });

    it('should close the connection on logout and refuse the token afterwards', async () => {
      const dave = await signedInUser(app.app, 'dave');
      const client = await connect(dave);
      await client.event('caught_up');
      await app.http().post('/api/auth/logout').set('Authorization', dave.auth).expect(204);
      const error = await client.event('error');
      expect(error.data).toMatchObject({ code: 'UNAUTHORIZED' });
      expect((await client.closedWithin()).code).toBe(1008);
      const refused = await PlainWsClient.refusal(plainWsUrl(app.baseUrl, dave.accessToken));
      expect(refused.status).toBe(401);
    });

    it('should ping, keep a connection that answers and close one that misses two pings', async () => {
      const heartbeat = app.app.get(PlainWsTransport).heartbeat;
      const lively = await connect(bob);
      const silent = await PlainWsClient.connect(app.baseUrl, bob.accessToken, { autoPong: false });
      open.push(silent);
      let pings = 0;
      silent.socket.on('ping', () => (pings += 1));
      await Promise.all([lively.flush(), silent.flush()]);
      for (let i = 0; i < 3; i += 1) {
        const pinged = lively.pinged();
        heartbeat.tick();
        await pinged;
        // The pong went out before this frame: once it is acked, the server has counted the pong.
        await lively.flush();
      }
      expect(pings).toBe(2);
      await silent.closedWithin();
      expect(lively.socket.readyState).toBe(lively.socket.OPEN);
    });

    it('should count plain connections in /health', async () => {
      const before = (await app.http().get('/health').expect(200)).body.activeConnections as number;
      const client = await connect(bob);
      await client.flush();
      const during = (await app.http().get('/health').expect(200)).body.activeConnections as number;
      expect(during).toBe(before + 1);
      client.close();
      await client.closedWithin();
    });
  });

  describe('shutdown', () => {
    it('should tell plain connections to reconnect and close them, without holding the close', async () => {
      const own = await createTestApp();
      const carol = await signedInUser(own.app, 'carol');
      const client = await PlainWsClient.connect(own.baseUrl, carol.accessToken);
      await client.event('caught_up');
      await own.app.close();
      expect((await client.event('shutdown')).data).toEqual({
        reconnect: true,
        retryAfterMs: 1000,
      });
      expect((await client.closedWithin()).code).toBe(1012);
      // The plain connection counted for presence up to the end: lastSeen is written.
      const db = new Client({ connectionString: own.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ last_seen: Date | null }>(
          'SELECT last_seen FROM users WHERE id = $1',
          [carol.id],
        );
        expect(rows[0].last_seen).not.toBeNull();
      } finally {
        await db.end();
        await own.close().catch(() => undefined);
      }
    });
  });
});
