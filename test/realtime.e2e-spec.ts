import { JwtService } from '@nestjs/jwt';
import { expect } from 'expect';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLIENT_EVENT_NAMES,
  type ConnectedEvent,
  type PresenceEvent,
  SERVER_EVENT_NAMES,
  type TypingEvent,
} from '../libs/contracts/src';
import { PresenceService } from '../src/presence/presence.service';
import { createGroup, sendHttp } from './utils/api';
import { closeAll, connectRecording, flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import {
  collectEvents,
  connectLive,
  connectSocket,
  emitWithAck,
  waitForEvent,
  type TestSocket,
} from './utils/ws-client';

describe('realtime: handshake, ping, bad events, typing, presence', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  before(async () => {
    app = await createTestApp({ env: { RATE_LIMIT_TYPING: '5' } });
    app.app.get(PresenceService).graceMs = 300;
    [alice, bob, carol] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
    ]);
    // alice and bob share a direct conversation; carol shares nothing with them.
    await sendHttp(app, alice, { recipientID: bob.id, content: 'hi bob' });
  });

  after(async () => {
    await app.close();
  });

  it('should serve the event contract at /docs/asyncapi.json, equal to docs/asyncapi.json', async () => {
    const response = await app.http().get('/docs/asyncapi.json').expect(200);
    expect(response.body.asyncapi).toBe('3.0.0');
    const names = Object.values(
      response.body.components.messages as Record<string, { name: string }>,
    ).map((m) => m.name);
    for (const name of [...CLIENT_EVENT_NAMES, ...SERVER_EVENT_NAMES]) {
      expect(names).toContain(name);
    }
    const file = join(__dirname, '..', '..', 'docs', 'asyncapi.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(response.body);
  });

  describe('handshake', () => {
    it('should refuse a connection without a token', async () => {
      await expect(connectSocket(app.baseUrl, undefined)).rejects.toThrow('UNAUTHORIZED');
    });

    it('should refuse a malformed or forged token', async () => {
      await expect(connectSocket(app.baseUrl, 'not-a-jwt')).rejects.toThrow('UNAUTHORIZED');
      const forged = `${alice.accessToken.slice(0, -4)}AAAA`;
      await expect(connectSocket(app.baseUrl, forged)).rejects.toThrow('UNAUTHORIZED');
    });

    it('should refuse an expired token', async () => {
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
      await expect(connectSocket(app.baseUrl, expired)).rejects.toThrow('UNAUTHORIZED');
    });

    it('should accept the token in the query string and say connected', async () => {
      const socket = await connectSocket(app.baseUrl, alice.accessToken, { viaQuery: true });
      try {
        const ack = await emitWithAck(socket, 'ping');
        expect(ack).toMatchObject({ success: true });
      } finally {
        socket.close();
      }
    });

    it('should emit connected with the user id first', async () => {
      const { socket, events } = await connectRecording(app.baseUrl, alice.accessToken);
      try {
        await flush(socket);
        const [event] = events.connected as ConnectedEvent[];
        expect(event.userID).toBe(alice.id);
        expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
      } finally {
        socket.close();
      }
    });

    it('should work over the polling transport too', async () => {
      const socket = await connectSocket(app.baseUrl, alice.accessToken, {
        transports: ['polling'],
      });
      try {
        expect((await emitWithAck(socket, 'ping')).success).toBe(true);
      } finally {
        socket.close();
      }
    });

    it('should disconnect the session when a rotated refresh token is reused', async () => {
      const eve = await signedInUser(app.app, 'eve');
      const socket = await connectSocket(app.baseUrl, eve.accessToken);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const revoked = waitForEvent<{ code: string }>(socket, 'error');
      await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: eve.refreshToken })
        .expect(200);
      await app
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: eve.refreshToken })
        .expect(401);
      expect(await revoked).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(await disconnected).toBe('io server disconnect');
    });

    it('should count open sockets in /health and /metrics', async () => {
      const before = (await app.http().get('/health').expect(200)).body.activeConnections as number;
      const socket = await connectSocket(app.baseUrl, alice.accessToken);
      try {
        await flush(socket);
        const during = await app.http().get('/health').expect(200);
        expect(during.body.activeConnections).toBe(before + 1);
        const metrics = await app.http().get('/metrics').expect(200);
        expect(metrics.text).toMatch(/ws_connections \d+/);
      } finally {
        socket.close();
      }
    });

    it('should refuse a revoked session and disconnect its open sockets on logout', async () => {
      const dave = await signedInUser(app.app, 'dave');
      const socket = await connectSocket(app.baseUrl, dave.accessToken);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      await app.http().post('/api/auth/logout').set('Authorization', dave.auth).expect(204);
      expect(await disconnected).toBe('io server disconnect');
      await expect(connectSocket(app.baseUrl, dave.accessToken)).rejects.toThrow('UNAUTHORIZED');
    });
  });

  describe('client events', () => {
    let socket: TestSocket;

    before(async () => {
      socket = await connectSocket(app.baseUrl, alice.accessToken);
    });

    after(() => closeAll(socket));

    it('should answer ping with an ack and a pong', async () => {
      const pong = waitForEvent<{ timestamp: string }>(socket, 'pong');
      const ack = await emitWithAck<{ timestamp: string }>(socket, 'ping');
      expect(ack.success).toBe(true);
      expect(typeof ack.data?.timestamp).toBe('string');
      expect(typeof (await pong).timestamp).toBe('string');
    });

    it('should answer every bad event with an error ack and stay connected', async () => {
      const carolsGroup = await createGroup(app, carol, 'carols');
      const cases: [string, unknown, string][] = [
        ['no_such_event', { a: 1 }, 'VALIDATION_FAILED'],
        ['send_message', 'just a string', 'VALIDATION_FAILED'],
        ['send_message', 42, 'VALIDATION_FAILED'],
        ['send_message', null, 'VALIDATION_FAILED'],
        ['send_message', [1, 2], 'VALIDATION_FAILED'],
        ['send_message', { recipientID: bob.id, content: 5 }, 'VALIDATION_FAILED'],
        ['send_message', { recipientID: bob.id, content: 'x', extra: true }, 'VALIDATION_FAILED'],
        [
          'send_message',
          { recipientID: bob.id, groupID: bob.id, content: 'x' },
          'VALIDATION_FAILED',
        ],
        ['send_message', { recipientID: bob.id, content: 'x'.repeat(70_000) }, 'PAYLOAD_TOO_LARGE'],
        // 2 MiB: answered too, the socket kept (the engine's hard limit is 4 MiB).
        [
          'send_message',
          { recipientID: bob.id, content: 'x'.repeat(2 << 20) },
          'PAYLOAD_TOO_LARGE',
        ],
        ['send_message', { recipientID: 'not-a-uuid', content: 'x' }, 'VALIDATION_FAILED'],
        ['mark_read', { conversationID: bob.id, seq: 'one' }, 'VALIDATION_FAILED'],
        ['message_delivered', {}, 'VALIDATION_FAILED'],
        ['typing', { conversationID: bob.id }, 'VALIDATION_FAILED'],
        ['set_status', { status: 'invisible' }, 'VALIDATION_FAILED'],
        ['join_group', { groupID: 'nope' }, 'VALIDATION_FAILED'],
        ['sync', { conversationID: bob.id, after: -1 }, 'VALIDATION_FAILED'],
        ['sync', { conversationID: bob.id, after: 0, limit: 101 }, 'VALIDATION_FAILED'],
        ['join_group', { groupID: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND'],
        ['sync', { conversationID: carolsGroup.conversationID, after: 0 }, 'FORBIDDEN'],
        ['mark_read', { conversationID: carolsGroup.conversationID, seq: 1 }, 'FORBIDDEN'],
      ];
      for (const [event, payload, code] of cases) {
        const ack = await emitWithAck(socket, event, payload);
        expect({
          event,
          payload: JSON.stringify(payload).slice(0, 80),
          ack: ack.success,
          code: ack.error?.code,
        }).toEqual({
          event,
          payload: JSON.stringify(payload).slice(0, 80),
          ack: false,
          code,
        });
        expect(typeof ack.error?.message).toBe('string');
      }
      expect(socket.connected).toBe(true);
      await flush(socket);
    });

    it('should survive a small but deeply nested raw frame and keep serving everyone', async () => {
      // Written raw (the client's encoder would recurse too): 5,000 levels in about 10 KB, under the
      // size limit. A recursive size check used to overflow the stack and kill the process.
      const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
      const engine = (socket.io as unknown as { engine: { write: (data: string) => void } }).engine;
      for (const frame of [
        `2["typing",${deep}]`,
        `2["send_message",{"recipientID":"${bob.id}","content":${deep}}]`,
      ]) {
        const error = waitForEvent<{ code: string; event?: string }>(socket, 'error');
        engine.write(frame);
        expect(await error).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      expect(socket.connected).toBe(true);
      await flush(socket);
      const other = await connectSocket(app.baseUrl, bob.accessToken);
      await flush(other);
      other.close();
      await app.http().get('/health').expect(200);
    });

    it('should emit an error event for a bad event sent without a callback', async () => {
      const error = waitForEvent<{ code: string; event?: string }>(socket, 'error');
      socket.emit('send_message', { nope: true });
      expect(await error).toMatchObject({ code: 'VALIDATION_FAILED' });
      const unknown = waitForEvent<{ code: string; event?: string }>(socket, 'error');
      socket.emit('what_is_this');
      expect(await unknown).toMatchObject({ code: 'VALIDATION_FAILED', event: 'what_is_this' });
      await flush(socket);
    });
  });

  describe('typing', () => {
    it('should reach only the other participants', async () => {
      const a = await connectSocket(app.baseUrl, alice.accessToken);
      const b = await connectSocket(app.baseUrl, bob.accessToken);
      const c = await connectSocket(app.baseUrl, carol.accessToken);
      try {
        const atCarol = collectEvents(c, 'typing');
        const atAlice = collectEvents(a, 'typing');
        const received = waitForEvent<TypingEvent>(b, 'typing');
        const ack = await emitWithAck(a, 'typing', { conversationID: bob.id, isTyping: true });
        expect(ack.success).toBe(true);
        const event = await received;
        expect(event).toMatchObject({ userID: alice.id, isTyping: true });
        expect(event.conversationID).not.toBe(bob.id);
        await Promise.all([flush(c), flush(a)]);
        expect(atCarol).toEqual([]);
        expect(atAlice).toEqual([]);
      } finally {
        closeAll(a, b, c);
      }
    });

    it('should refuse typing into a conversation the caller is not in', async () => {
      const c = await connectSocket(app.baseUrl, carol.accessToken);
      try {
        const group = await createGroup(app, alice, 'private-ish');
        const ack = await emitWithAck(c, 'typing', {
          conversationID: group.conversationID,
          isTyping: true,
        });
        expect(ack.success).toBe(false);
        expect(['FORBIDDEN', 'NOT_FOUND']).toContain(ack.error?.code);
        const byGroupId = await emitWithAck(c, 'typing', {
          conversationID: group.id,
          isTyping: true,
        });
        expect(['FORBIDDEN', 'NOT_FOUND']).toContain(byGroupId.error?.code);
        await flush(c);
      } finally {
        c.close();
      }
    });

    it('should drop typing past the per-socket limit with an error ack', async () => {
      const a = await connectSocket(app.baseUrl, alice.accessToken);
      // Live: what reaches Bob during his catch-up follows it, after the round trip below.
      const b = await connectLive(app.baseUrl, bob.accessToken);
      try {
        const atBob = collectEvents<TypingEvent>(b, 'typing');
        const acks = [];
        for (let i = 0; i < 7; i += 1) {
          acks.push(
            await emitWithAck(a, 'typing', { conversationID: bob.id, isTyping: i % 2 === 0 }),
          );
        }
        expect(acks.filter((ack) => ack.success)).toHaveLength(5);
        expect(acks.slice(5).map((ack) => ack.error?.code)).toEqual([
          'RATE_LIMITED',
          'RATE_LIMITED',
        ]);
        await flush(b);
        expect(atBob).toHaveLength(5);
        expect(a.connected).toBe(true);
      } finally {
        closeAll(a, b);
      }
    });
  });

  describe('presence', () => {
    it('should go online, away and offline after the grace period, and read live over HTTP', async () => {
      // Fresh users: earlier tests' sockets may still be inside their grace period.
      const [erin, bob] = await Promise.all([
        signedInUser(app.app, 'erin'),
        signedInUser(app.app, 'frank'),
      ]);
      await sendHttp(app, erin, { recipientID: bob.id, content: 'hello' });
      const watcher = await connectSocket(app.baseUrl, erin.accessToken);
      try {
        const online = waitForEvent<PresenceEvent>(
          watcher,
          'presence',
          (p) => p.userID === bob.id && p.status === 'online',
        );
        const b1 = await connectSocket(app.baseUrl, bob.accessToken);
        await online;
        const status = await app
          .http()
          .get(`/api/users/${bob.id}/status`)
          .set('Authorization', erin.auth)
          .expect(200);
        expect(status.body.data).toMatchObject({ id: bob.id, status: 'online' });

        const away = waitForEvent<PresenceEvent>(
          watcher,
          'presence',
          (p) => p.userID === bob.id && p.status === 'away',
        );
        const ack = await emitWithAck(b1, 'set_status', { status: 'away' });
        expect(ack).toEqual({ success: true, data: { status: 'away' } });
        await away;

        // A second device, then a quick reconnect of the first: no offline flap. Nothing can be
        // awaited for an event that must not come: wait past the grace period (300 ms here), during
        // which a flap would have been announced.
        const seen = collectEvents<PresenceEvent>(watcher, 'presence');
        const b2 = await connectSocket(app.baseUrl, bob.accessToken);
        b1.close();
        b2.close();
        const b3 = await connectSocket(app.baseUrl, bob.accessToken);
        await new Promise((resolve) => setTimeout(resolve, 600));
        await flush(watcher);
        expect(seen.filter((p) => p.userID === bob.id)).toEqual([]);

        const offline = waitForEvent<PresenceEvent>(
          watcher,
          'presence',
          (p) => p.userID === bob.id && p.status === 'offline',
        );
        const closedAt = Date.now();
        b3.close();
        const event = await offline;
        expect(Date.now() - closedAt).toBeGreaterThanOrEqual(250);
        expect(typeof event.lastSeen).toBe('string');
        const after = await app
          .http()
          .get(`/api/users/${bob.id}/status`)
          .set('Authorization', erin.auth)
          .expect(200);
        expect(after.body.data).toMatchObject({ status: 'offline' });
        expect(after.body.data.lastSeen).not.toBeNull();
      } finally {
        watcher.close();
      }
    });

    it('should not tell users who share no conversation', async () => {
      // gus and hal share a conversation; carol shares nothing with gus.
      const [gus, hal] = await Promise.all([
        signedInUser(app.app, 'gus'),
        signedInUser(app.app, 'hal'),
      ]);
      await sendHttp(app, hal, { recipientID: gus.id, content: 'hi gus' });
      const c = await connectSocket(app.baseUrl, carol.accessToken);
      const a = await connectSocket(app.baseUrl, hal.accessToken);
      try {
        const seen = collectEvents<PresenceEvent>(c, 'presence');
        // Once hal has gus's presence, the one broadcast that carried it is over, and carol would
        // have had it too.
        const halHears = waitForEvent<PresenceEvent>(a, 'presence', (p) => p.userID === gus.id);
        const b = await connectSocket(app.baseUrl, gus.accessToken);
        await halHears;
        b.close();
        await flush(c);
        expect(seen.filter((p) => p.userID === gus.id)).toEqual([]);
      } finally {
        closeAll(c, a);
      }
    });
  });
});
