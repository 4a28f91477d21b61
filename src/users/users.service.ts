import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import type { PublicUser, User } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { PresenceService } from '../presence/presence.service';
import { UserEntity } from './entities/user.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

  /** Inserts an account; the unique indexes decide races, so two concurrent sign-ups cannot both win. */
  async create(username: string, email: string, passwordHash: string): Promise<UserEntity> {
    try {
      const result = await this.users
        .createQueryBuilder()
        .insert()
        .values({ username, email, passwordHash })
        .returning(['id', 'username', 'email', 'lastSeen', 'createdAt'])
        .execute();
      const row = (result.generatedMaps[0] ?? {}) as Partial<UserEntity>;
      const raw = (result.raw as Record<string, unknown>[])[0] ?? {};
      return {
        id: (row.id ?? raw.id) as string,
        username,
        email,
        passwordHash,
        lastSeen: null,
        createdAt: (row.createdAt ?? raw.created_at) as Date,
      };
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === '23505'
      ) {
        const constraint = (error.driverError as { constraint?: string }).constraint ?? '';
        const field = constraint.includes('email') ? 'email' : 'username';
        throw new AppError(AppError.conflict('').code, `That ${field} is already taken`, [
          { field, message: `${field} is already taken` },
        ]);
      }
      throw error;
    }
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
    if (!UUID.test(id)) {
      return null;
    }
    return this.users.findOne({ where: { id } });
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

  /** Records when a user was last connected (written by presence when the last socket closes). */
  async touchLastSeen(userId: string, at: Date): Promise<void> {
    await this.users.update({ id: userId }, { lastSeen: at });
  }
}
