import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { expect } from 'expect';
import { AppError } from '../common/errors/app-error';
import type { RootConfig } from '../config/configuration';
import { SessionService } from './session.service';
import type { SessionActivity, SessionsRepository } from './sessions.repository';

const config = { get: () => 3600 } as unknown as ConfigService<RootConfig, true>;

function service(rows: SessionActivity[], fail?: Error, held?: Promise<void>) {
  const queries: string[][] = [];
  const repository = {
    activity: async (ids: readonly string[]) => {
      queries.push([...ids]);
      await held;
      if (fail) {
        throw fail;
      }
      return new Map(rows.filter((r) => ids.includes(r.id)).map((r) => [r.id, r]));
    },
    revoke: () => Promise.resolve(),
  } as unknown as SessionsRepository;
  return { sessions: new SessionService(repository, new EventEmitter2(), config), queries };
}

describe('SessionService.isActive', () => {
  const later = new Date(Date.now() + 60_000);
  const good = { id: randomUUID(), revokedAt: null, expiresAt: later };
  const revoked = { id: randomUUID(), revokedAt: new Date(), expiresAt: later };
  const expired = { id: randomUUID(), revokedAt: null, expiresAt: new Date(Date.now() - 1) };

  it('should check a turn of sessions with one query and refuse the revoked, expired and unknown among them', async () => {
    const { sessions, queries } = service([good, revoked, expired]);
    const unknown = randomUUID();
    const ids = [good.id, revoked.id, good.id, expired.id, unknown, 'not-a-uuid'];
    const answers = await Promise.all(ids.map((id) => sessions.isActive(id)));
    expect(answers).toEqual([true, false, true, false, false, false]);
    expect(queries).toEqual([[good.id, revoked.id, expired.id, unknown]]);
    // The active one is cached; the refused ones are asked again.
    await Promise.all([sessions.isActive(good.id), sessions.isActive(revoked.id)]);
    expect(queries.slice(1)).toEqual([[revoked.id]]);
  });

  it('should answer UNAVAILABLE (not false) for every session of a batch when the database is unreachable', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const { sessions, queries } = service([], down);
    const results = await Promise.allSettled([
      sessions.isActive(good.id),
      sessions.isActive(revoked.id),
    ]);
    expect(queries.length).toBe(1);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as AppError;
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe('UNAVAILABLE');
    }
  });

  it('should not let a check that started before a revocation answer for the session after it', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { sessions, queries } = service([good], undefined, held);
    const before = sessions.isActive(good.id);
    await new Promise((resolve) => setImmediate(resolve));
    await sessions.revoke(good.id, randomUUID(), 'logout');
    // Asked while the first check still runs: it must not share that check.
    const afterRevoke = sessions.isActive(good.id);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([before, afterRevoke]);
    expect(queries).toEqual([[good.id], [good.id]]);
  });
});
