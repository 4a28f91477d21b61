import { Injectable } from '@nestjs/common';
import type { LoginResult, TokenPair, User } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { RateLimitService } from '../common/rate-limit/rate-limit.service';
import { UsersService } from '../users/users.service';
import type { LoginDto } from './dto/login.dto';
import type { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher.service';
import { SessionService } from './session.service';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly tokens: TokenService,
    private readonly rateLimits: RateLimitService,
  ) {}

  async register(dto: RegisterDto): Promise<User> {
    const hash = await this.hasher.hash(dto.password);
    const user = await this.users.create(dto.username, dto.email, hash);
    return this.users.toUser(user);
  }

  /**
   * One answer for every wrong pair. Failed attempts are counted per account (or, for names that match
   * no account, per lower-cased identifier); past the limit it is refused for the window, from any IP.
   */
  async login(dto: LoginDto): Promise<LoginResult> {
    const identifier = (dto.username ?? dto.email ?? '').trim();
    const user = identifier ? await this.users.findForLogin(identifier) : null;
    // Count an existing account's failures under its id, not under the spelling used: otherwise an
    // attacker gets a fresh allowance by switching between username, email and letter case.
    const failureKey = user ? `user:${user.id}` : `name:${identifier.toLowerCase()}`;
    // Take the attempt from the allowance before the slow hash check and give it back on success:
    // checking first and counting after let any number of parallel guesses through while the first
    // ones were still being hashed.
    await this.rateLimits.consume('loginFailures', failureKey);
    const ok = await this.hasher.verify(user?.passwordHash ?? null, dto.password);
    if (!user || !ok) {
      throw AppError.unauthorized('Invalid username/email or password');
    }
    await this.rateLimits.refund('loginFailures', failureKey);
    const { sessionId, refreshToken } = await this.sessions.open(user.id);
    return {
      ...this.pair(user.id, sessionId, user.username, refreshToken),
      user: await this.users.toUser(user),
    };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const rotated = await this.sessions.rotate(refreshToken);
    const user = await this.users.findById(rotated.userId);
    if (!user) {
      throw AppError.unauthorized('Invalid or expired refresh token');
    }
    return this.pair(user.id, rotated.sessionId, user.username, rotated.refreshToken);
  }

  async logout(userId: string, sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId, userId, 'logout');
  }

  private pair(
    userId: string,
    sessionId: string,
    username: string,
    refreshToken: string,
  ): TokenPair {
    return {
      accessToken: this.tokens.signAccessToken({ sub: userId, sid: sessionId, username }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTtlSeconds,
    };
  }
}
