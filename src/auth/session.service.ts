import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { boundedLru } from '../common/bounded-lru';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { AppError } from '../common/errors/app-error';
import { isDependencyUnavailable } from '../common/errors/dependency-error';
import { isUuid } from '../common/validation/uuid';
import type { RootConfig } from '../config/configuration';
import { AUTH_EVENTS, type SessionRevokedEvent } from './auth.events';
import { SessionsRepository, type SessionActivity } from './sessions.repository';

/** How long a "this session is active" answer is reused before asking the database again. */
const ACTIVE_CACHE_MS = 5_000;
/** Sessions remembered as active; the least recently used go first. */
const ACTIVE_CACHE_MAX = 100_000;
/** Sessions checked by one query at most (a reconnect storm sends thousands in a few ticks). */
const ACTIVE_CHECK_BATCH = 500;

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Refresh sessions. A refresh token is `<session id>.<secret>`; the table keeps only the hashes of the
 * current secret and of the one the last rotation replaced. Rotation swaps them atomically, so of two
 * racing refreshes with one token exactly one wins and the other is reuse. Reuse (presenting the
 * replaced secret) revokes the session and disconnects its sockets; a secret this session never
 * issued is a plain 401 and changes nothing, since the session id alone is public (claim `sid`).
 */
@Injectable()
export class SessionService {
  private readonly refreshTtlSeconds: number;
  private readonly activeCache = boundedLru<string, true>(ACTIVE_CACHE_MAX, {
    ttl: ACTIVE_CACHE_MS,
    ttlAutopurge: false,
  });
  /**
   * Session checks of one event-loop turn share one `id = ANY($1)` query, and a session already being
   * checked shares that check (single-flight), until a revocation makes it start afresh.
   */
  private readonly activeChecks = new TickBatcher<string, boolean>((ids) => this.checkActive(ids), {
    maxBatch: ACTIVE_CHECK_BATCH,
    fallback: false,
    joinInFlight: true,
  });
  /** Bumped by every revocation: a check that overlapped one does not cache its answer. */
  private revocations = 0;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: EventEmitter2,
    config: ConfigService<RootConfig, true>,
  ) {
    this.refreshTtlSeconds = config.get('auth.refreshTokenTtlSeconds', { infer: true });
  }

  /** Opens a session and returns its first refresh token. */
  async open(userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await this.sessions.insert({
      id: sessionId,
      userId,
      tokenHash: hashSecret(secret),
      expiresAt: new Date(Date.now() + this.refreshTtlSeconds * 1000),
    });
    this.activeCache.set(sessionId, true);
    return { sessionId, refreshToken: `${sessionId}.${secret}` };
  }

  /** Exchanges a refresh token for a new one; any failure is UNAUTHORIZED with one message. */
  async rotate(
    refreshToken: string,
  ): Promise<{ sessionId: string; userId: string; refreshToken: string }> {
    const invalid = AppError.unauthorized('Invalid or expired refresh token');
    const [sessionId, secret, ...rest] = refreshToken.split('.');
    if (rest.length > 0 || !sessionId || !secret || !isUuid(sessionId)) {
      throw invalid;
    }
    const session = await this.sessions.findById(sessionId);
    if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) {
      throw invalid;
    }
    const presented = hashSecret(secret);
    if (!sameHash(presented, session.tokenHash)) {
      if (session.previousTokenHash && sameHash(presented, session.previousTokenHash)) {
        await this.revoke(session.id, session.userId, 'refresh_token_reuse');
      }
      throw invalid;
    }
    const nextSecret = randomBytes(32).toString('base64url');
    if (!(await this.sessions.rotate(session.id, presented, hashSecret(nextSecret)))) {
      // Another refresh with the same token won the race: this one is a replay.
      await this.revoke(session.id, session.userId, 'refresh_token_reuse');
      throw invalid;
    }
    return {
      sessionId: session.id,
      userId: session.userId,
      refreshToken: `${session.id}.${nextSecret}`,
    };
  }

  async revoke(sessionId: string, userId: string, reason: string): Promise<void> {
    await this.sessions.revoke(sessionId, reason);
    this.revocations += 1;
    this.activeCache.delete(sessionId);
    this.activeChecks.forget(sessionId);
    const event: SessionRevokedEvent = { sessionId, userId, reason };
    this.events.emit(AUTH_EVENTS.sessionRevoked, event);
  }

  /**
   * True when the session exists, is not revoked and has not expired. Answers are reused for a few
   * seconds; checks asked in the same event-loop turn share one query, and concurrent checks of one
   * session share one answer. Throws UNAVAILABLE (never a "false") when the database cannot be
   * asked: "could not check" is not "bad token".
   */
  async isActive(sessionId: string): Promise<boolean> {
    if (!isUuid(sessionId)) {
      return false;
    }
    // The database answers in lower case; tokens we issue carry lower case already.
    const id = sessionId.toLowerCase();
    return this.activeCache.get(id) ?? this.activeChecks.get(id);
  }

  /** Session queries run so far (tests count them: a burst of connects must cost a few). */
  get activeCheckQueries(): number {
    return this.activeChecks.loads;
  }

  private async checkActive(sessionIds: readonly string[]): Promise<Map<string, boolean>> {
    const revocationsBefore = this.revocations;
    let found: Map<string, SessionActivity>;
    try {
      found = await this.sessions.activity(sessionIds);
    } catch (error) {
      if (isDependencyUnavailable(error)) {
        throw AppError.unavailable('The session could not be checked, try again shortly', 2);
      }
      throw error;
    }
    const now = Date.now();
    const answers = new Map<string, boolean>();
    for (const sessionId of sessionIds) {
      const session = found.get(sessionId);
      const active = !!session && !session.revokedAt && session.expiresAt.getTime() > now;
      if (active && revocationsBefore === this.revocations) {
        this.activeCache.set(sessionId, true);
      } else {
        this.activeCache.delete(sessionId);
      }
      answers.set(sessionId, active);
    }
    return answers;
  }
}
