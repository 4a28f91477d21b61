import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { PublicUser, User } from '../../libs/contracts/src';
import { AppError, ErrorCode } from '../common/errors/app-error';
import { isUuid } from '../common/validation/uuid';
import { PRESENCE_EVENTS, type PresenceOfflineEvent } from '../presence/presence.events';
import { PresenceService } from '../presence/presence.service';
import { UserEntity } from './entities/user.entity';

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Accounts and public profiles. The only writer of `users`. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly presence: PresenceService,
  ) {}

  /**
   * Inserts an account; the unique indexes on lower(username) and lower(email) decide races, so two
   * concurrent sign-ups cannot both win. `ON CONFLICT DO NOTHING` keeps the expected clash from being a
   * failed statement, which the database logger would print with its parameters (the password hash).
   */
  async create(username: string, email: string, passwordHash: string): Promise<UserEntity> {
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .values({ username, email, passwordHash })
      .orIgnore()
      .returning(['id', 'created_at'])
      .execute();
    const raw = (result.raw as { id: string; created_at: Date }[])[0];
    if (!raw) {
      throw await this.conflictFor(username);
    }
    return { id: raw.id, username, email, passwordHash, lastSeen: null, createdAt: raw.created_at };
  }

  private async conflictFor(username: string): Promise<AppError> {
    const usernameTaken = await this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getExists();
    const field = usernameTaken ? 'username' : 'email';
    return new AppError(ErrorCode.CONFLICT, `That ${field} is already taken`, [
      { field, message: `${field} is already taken` },
    ]);
  }

  /** Finds an account by username or email (case-insensitive), with its password hash. */
  async findForLogin(identifier: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.username) = lower(:identifier) OR lower(u.email) = lower(:identifier)', {
        identifier,
      })
      .orderBy('lower(u.username) = lower(:identifier)', 'DESC')
      .limit(1)
      .getOne();
  }

  async findById(id: string): Promise<UserEntity | null> {
    if (!isUuid(id)) {
      return null;
    }
    return this.users.findOne({ where: { id } });
  }

  async findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return ids.length ? this.users.findBy({ id: In([...ids]) }) : [];
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
    const query = this.users
      .createQueryBuilder('u')
      .orderBy('lower(u.username)', 'ASC')
      .limit(limit);
    if (prefix) {
      query.where(`lower(u.username) LIKE :pattern ESCAPE '\\'`, {
        pattern: `${escapeLike(prefix.toLowerCase())}%`,
      });
    }
    return this.toPublicUsers(await query.getMany());
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
    await this.users.update({ id: event.userId }, { lastSeen: event.at });
  }
}
