import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { AppError } from '../common/errors/app-error';
import type { RootConfig } from '../config/configuration';
import { SessionService } from './session.service';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  username: string;
}

/** What a verified token carries besides our claims: `exp` must be there (see `toUser`). */
export type VerifiedClaims = Partial<AccessTokenClaims> & { exp?: unknown };

/**
 * Issues and verifies access tokens: HS256 only (pinned, so `alg: none` or RS/HS confusion fails),
 * issuer and audience checked, 15 minutes. HTTP and socket handshakes both verify through here, and
 * both refuse tokens of a revoked session.
 */
@Injectable()
export class TokenService {
  private readonly issuer: string;
  private readonly audience: string;
  readonly accessTtlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionService,
    config: ConfigService<RootConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.issuer = auth.issuer;
    this.audience = auth.audience;
    this.accessTtlSeconds = auth.accessTokenTtlSeconds;
  }

  signAccessToken(claims: AccessTokenClaims): string {
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      expiresIn: this.accessTtlSeconds,
      issuer: this.issuer,
      audience: this.audience,
    });
  }

  /** Throws UNAUTHORIZED for a missing, malformed, forged, expired or revoked token. */
  async verifyAccessToken(token: string | undefined | null): Promise<AuthenticatedUser> {
    if (!token || typeof token !== 'string') {
      throw AppError.unauthorized('Missing access token');
    }
    let claims: VerifiedClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        algorithms: ['HS256'],
        issuer: this.issuer,
        audience: this.audience,
      });
    } catch {
      throw AppError.unauthorized('Invalid or expired access token');
    }
    return this.toUser(claims);
  }

  /**
   * Shared with the passport strategy, which has already checked the signature and expiry. The JWT
   * libraries check `exp` only when it is present, so a token without one (which we never issue)
   * would never expire: refuse it here.
   */
  async toUser(claims: VerifiedClaims): Promise<AuthenticatedUser> {
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      typeof claims.username !== 'string'
    ) {
      throw AppError.unauthorized('Invalid access token');
    }
    if (!(await this.sessions.isActive(claims.sid))) {
      throw AppError.unauthorized('Session has ended');
    }
    return { userId: claims.sub, sessionId: claims.sid, username: claims.username };
  }
}
