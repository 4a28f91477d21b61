import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import type { Message } from '../libs/contracts/src';
import { SessionService } from '../src/auth/session.service';
import { TokenService } from '../src/auth/token.service';
import { PresenceService } from '../src/presence/presence.service';
import { CatchUpService } from '../src/realtime/catch-up.service';
import { sendHttp } from './utils/api';
import {
  caughtUp,
  closeAll,
  connectRecording,
  connectRecordingRetrying,
  type RecordingSocket,
} from './utils/realtime';
import { registerUser, type RegisteredUser } from './utils/factories';
import { until } from './utils/instances';
import { createTestApp, type TestApp } from './utils/test-app';

/** Users of the burst, each with this many devices connecting at once. */
const USERS = 30;
const DEVICES = 10;

interface SeededUser {
  id: string;
  token: string;
}

/**
 * A reconnect storm: hundreds of sockets whose sessions this process has never checked (as after a
 * restart) connect at once. Users and sessions are seeded by SQL and their tokens signed by the
 * app's TokenService, so no password is hashed and no session is in the cache.
 */
describe('Reconnect storm', () => {
  let a: TestApp;
  let sender: RegisteredUser;
  let users: SeededUser[];
  let revoked: SeededUser;
  const pending = new Map<string, Message>();
  const sockets: RecordingSocket[] = [];

  async function seed(count: number, revokedAt: Date | null): Promise<SeededUser[]> {
    const rows = Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      sid: randomUUID(),
      name: `storm_${i}_${randomUUID().slice(0, 8)}`,
    }));
    const db = a.app.get(DataSource);
    await db.query(
      `INSERT INTO users (id, username, email, password_hash)
       SELECT id, name, name || '@example.com', 'unused' FROM unnest($1::uuid[], $2::text[]) AS t(id, name)`,
      [rows.map((r) => r.id), rows.map((r) => r.name)],
    );
    await db.query(
      `INSERT INTO sessions (id, user_id, token_hash, expires_at, revoked_at)
       SELECT sid, uid, 'unused', now() + interval '1 hour', $3 FROM unnest($1::uuid[], $2::uuid[]) AS t(sid, uid)`,
      [rows.map((r) => r.sid), rows.map((r) => r.id), revokedAt],
    );
    const tokens = a.app.get(TokenService);
    return rows.map((r) => ({
      id: r.id,
      token: tokens.signAccessToken({ sub: r.id, sid: r.sid, username: r.name }),
    }));
  }

  before(async () => {
    a = await createTestApp();
    sender = await registerUser(a, 'storm_sender');
    users = await seed(USERS, null);
    [revoked] = await seed(1, new Date());
    // Each user has one message waiting: the storm's catch-up must bring it to every device.
    for (const user of users) {
      pending.set(
        user.id,
        await sendHttp(a, sender, { recipientID: user.id, content: 'while away' }),
      );
    }
  });

  after(async () => {
    closeAll(...sockets.map((s) => s.socket));
    await a?.close();
  });

  it('should connect every socket of a 300-socket burst with its catch-up and presence, and refuse the revoked and bad tokens mixed into it', async () => {
    const sessionQueriesBefore = a.app.get(SessionService).activeCheckQueries;
    const catchUpReadsBefore = a.app.get(CatchUpService).readsStarted;
    const watcher = await connectRecording(a.baseUrl, sender.accessToken, [
      'presence',
      'caught_up',
    ]);
    sockets.push(watcher);

    const good = users.flatMap((user) => Array.from({ length: DEVICES }, () => user));
    // Connect admission (CONNECT_MAX_IN_FLIGHT, CONNECT_LOOP_LAG_LIMIT_MS) may refuse part of the
    // burst for now: those clients come back after retryAfterMs plus jitter, as the SDK does.
    const refusals = { count: 0 };
    const attempts = await Promise.allSettled([
      ...good.map((user) => connectRecordingRetrying(a.baseUrl, user.token, refusals)),
      ...[revoked.token, revoked.token, 'not-a-jwt'].map((token) =>
        connectRecordingRetrying(a.baseUrl, token, refusals),
      ),
    ]);
    for (const attempt of attempts) {
      if (attempt.status === 'fulfilled') {
        sockets.push(attempt.value);
      }
    }
    const outcomes = attempts.map((attempt) =>
      attempt.status === 'fulfilled' ? 'connected' : (attempt.reason as Error).message,
    );
    expect(outcomes.slice(0, good.length).filter((o) => o !== 'connected')).toEqual([]);
    expect(outcomes.slice(good.length)).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);

    // Every device got its own catch-up with the message that waited for its user.
    const connected = sockets.slice(1);
    await Promise.all(connected.map((recording) => caughtUp(recording)));
    connected.forEach((recording, index) => {
      const expected = pending.get(good[index].id)?.id;
      const ids = (recording.events.message as Message[]).map((message) => message.id);
      expect(ids).toContain(expected);
      expect(recording.events.caught_up[0]).toMatchObject({ messages: 1, syncRequired: 0 });
    });

    // Presence: all online, and the sender (their only peer) was told of each one.
    const presence = await a.app.get(PresenceService).getPresence(users.map((user) => user.id));
    expect([...presence.values()].every((p) => p.status === 'online')).toBe(true);
    await until(
      'the sender to hear every user come online',
      () => {
        const online = new Set(
          (watcher.events.presence as { userID: string; status: string }[])
            .filter((p) => p.status === 'online')
            .map((p) => p.userID),
        );
        return users.every((user) => online.has(user.id)) ? true : undefined;
      },
      10_000,
    );

    // Counters, not timings: sessions are checked in batches (never once per socket), and
    // catch-up reads once per user with something pending at most, not once per device.
    const sessionQueries = a.app.get(SessionService).activeCheckQueries - sessionQueriesBefore;
    expect(sessionQueries).toBeGreaterThan(0);
    // At most one per session (the refused one is not cached, so once per socket of it); twice that
    // if the 5 s cache expired on a slow machine; one per socket would be 303.
    expect(sessionQueries).toBeLessThanOrEqual(2 * (USERS + 2));
    const catchUpReads = a.app.get(CatchUpService).readsStarted - catchUpReadsBefore;
    expect(catchUpReads).toBeLessThan(good.length);
  });
});
