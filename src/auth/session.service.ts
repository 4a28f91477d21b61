import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { IsNull, Repository } from 'typeorm';
import { SingleFlight } from '../common/concurrency/single-flight';
import { AppError } from '../common/errors/app-error';
import { isDependencyUnavailable } from '../common/errors/dependency-error';
import { isUuid } from '../common/validation/uuid';
import type { RootConfig } from '../config/configuration';
import { SessionEntity } from './entities/session.entity';
import { AUTH_EVENTS, type SessionRevokedEvent } from './auth.events';

/** How long a "this session is active" answer is reused before asking the database again. */
const ACTIVE_CACHE_MS = 5_000;
/** Sessions remembered as active; the least recently used go first. */
const ACTIVE_CACHE_MAX = 100_000;

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
  private readonly activeCache = new LRUCache<string, true>({
    max: ACTIVE_CACHE_MAX,
    ttl: ACTIVE_CACHE_MS,
    ttlAutopurge: false,
  });
  private readonly activeChecks = new SingleFlight<string, boolean>();
  /** Bumped by every revocation: a check that overlapped one does not cache its answer. */
  private revocations = 0;

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
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
      previousTokenHash: null,
      expiresAt: new Date(Date.now() + this.refreshTtlSeconds * 1000),
      revokedAt: null,
      revokedReason: null,
      rotatedAt: null,
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
    const session = await this.sessions.findOne({ where: { id: sessionId } });
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
    const result = await this.sessions.update(
      { id: session.id, tokenHash: presented, revokedAt: IsNull() },
      { tokenHash: hashSecret(nextSecret), previousTokenHash: presented, rotatedAt: new Date() },
    );
    if (!result.affected) {
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
    await this.sessions.update(
      { id: sessionId, revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
    this.revocations += 1;
    this.activeCache.delete(sessionId);
    const event: SessionRevokedEvent = { sessionId, userId, reason };
    this.events.emit(AUTH_EVENTS.sessionRevoked, event);
  }

  /**
   * True when the session exists, is not revoked and has not expired. Answers are reused for a few
   * seconds and concurrent checks of one session share one query. Throws UNAVAILABLE (never a
   * "false") when the database cannot be asked: "could not check" is not "bad token".
   */
  async isActive(sessionId: string): Promise<boolean> {
    if (this.activeCache.get(sessionId)) {
      return true;
    }
    if (!isUuid(sessionId)) {
      return false;
    }
    return this.activeChecks.run(sessionId, () => this.checkActive(sessionId));
  }

  private async checkActive(sessionId: string): Promise<boolean> {
    const revocationsBefore = this.revocations;
    let session: Pick<SessionEntity, 'id' | 'revokedAt' | 'expiresAt'> | null;
    try {
      session = await this.sessions.findOne({
        where: { id: sessionId },
        select: { id: true, revokedAt: true, expiresAt: true },
      });
    } catch (error) {
      if (isDependencyUnavailable(error)) {
        throw AppError.unavailable('The session could not be checked, try again shortly', 2);
      }
      throw error;
    }
    const active = !!session && !session.revokedAt && session.expiresAt.getTime() > Date.now();
    if (active && revocationsBefore === this.revocations) {
      this.activeCache.set(sessionId, true);
    } else {
      this.activeCache.delete(sessionId);
    }
    return active;
  }
}
