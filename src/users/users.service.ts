import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { PublicUser, User } from '../../libs/contracts/src';
import { AppError, ErrorCode } from '../common/errors/app-error';
import { isUuid } from '../common/validation/uuid';
import { PRESENCE_EVENTS, type PresenceOfflineEvent } from '../presence/presence.events';
import { PresenceService } from '../presence/presence.service';
import type { UserEntity } from './entities/user.entity';
import { UsersRepository } from './users.repository';

/** Accounts and public profiles. The only writer of `users` (through UsersRepository). */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly presence: PresenceService,
  ) {}

  /**
   * Inserts an account; the unique indexes on lower(username) and lower(email) decide races, so two
   * concurrent sign-ups cannot both win: the loser gets CONFLICT naming the field that was taken.
   */
  async create(username: string, email: string, passwordHash: string): Promise<UserEntity> {
    const inserted = await this.users.insert(username, email, passwordHash);
    if (!inserted) {
      throw await this.conflictFor(username);
    }
    return { ...inserted, username, email, passwordHash, lastSeen: null };
  }

  private async conflictFor(username: string): Promise<AppError> {
    const field = (await this.users.usernameTaken(username)) ? 'username' : 'email';
    return new AppError(ErrorCode.CONFLICT, `That ${field} is already taken`, [
      { field, message: `${field} is already taken` },
    ]);
  }

  /** Finds an account by username or email (case-insensitive), with its password hash. */
  async findForLogin(identifier: string): Promise<UserEntity | null> {
    return this.users.findForLogin(identifier);
  }

  async findById(id: string): Promise<UserEntity | null> {
    if (!isUuid(id)) {
      return null;
    }
    return this.users.findById(id);
  }

  async findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return this.users.findByIds(ids);
  }

  async getMe(userId: string): Promise<User> {
    const user = await this.findById(userId);
    if (!user) {
      throw AppError.unauthorized('The account no longer exists');
    }
    return this.toUser(user);
  }

  async getPublicProfile(userId: string): Promise<PublicUser> {
    const user = await this.findById(userId);
    if (!user) {
      throw AppError.notFound('User');
    }
    const [profile] = await this.toPublicUsers([user]);
    return profile;
  }

  async search(prefix: string | undefined, limit: number): Promise<PublicUser[]> {
    return this.toPublicUsers(await this.users.searchByUsername(prefix, limit));
  }

  async toUser(user: UserEntity): Promise<User> {
    const [profile] = await this.toPublicUsers([user]);
    return { ...profile, email: user.email, createdAt: user.createdAt.toISOString() };
  }

  /** Public profiles with live presence. */
  async toPublicUsers(users: UserEntity[]): Promise<PublicUser[]> {
    const live = await this.presence.getPresence(users.map((u) => u.id));
    return users.map((user) => {
      const presence = live.get(user.id);
      const lastSeen = presence?.lastSeen ?? user.lastSeen;
      return {
        id: user.id,
        username: user.username,
        status: presence?.status ?? 'offline',
        lastSeen: lastSeen ? lastSeen.toISOString() : null,
      };
    });
  }

  /**
   * Records when a user was last connected, once presence says they went offline. Errors propagate
   * (`suppressErrors: false`): presence keeps its record until this write has succeeded.
   */
  @OnEvent(PRESENCE_EVENTS.offline, { promisify: true, suppressErrors: false })
  async recordLastSeen(event: PresenceOfflineEvent): Promise<void> {
    await this.users.setLastSeen(event.userId, event.at);
  }
}
