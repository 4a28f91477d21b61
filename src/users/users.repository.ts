import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { UserEntity } from './entities/user.entity';

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The only reader and writer of `users` behind UsersService; rows are UserEntity. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /**
   * Inserts an account; null when the username or email is taken. `ON CONFLICT DO NOTHING` keeps the
   * expected clash from being a failed statement, which the database logger would print with its
   * parameters (the password hash).
   */
  async insert(
    username: string,
    email: string,
    passwordHash: string,
  ): Promise<{ id: string; createdAt: Date } | null> {
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .values({ username, email, passwordHash })
      .orIgnore()
      .returning(['id', 'created_at'])
      .execute();
    const raw = (result.raw as { id: string; created_at: Date }[])[0];
    return raw ? { id: raw.id, createdAt: raw.created_at } : null;
  }

  /** Case-insensitive, as the unique index on lower(username). */
  async usernameTaken(username: string): Promise<boolean> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getExists();
  }

  /** By username or email (case-insensitive), with its password hash; a username match wins. */
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
    return this.users.findOne({ where: { id } });
  }

  async findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return ids.length ? this.users.findBy({ id: In([...ids]) }) : [];
  }

  /** Up to `limit` users by username; only those whose username starts with `prefix` when given. */
  async searchByUsername(prefix: string | undefined, limit: number): Promise<UserEntity[]> {
    const query = this.users
      .createQueryBuilder('u')
      .orderBy('lower(u.username)', 'ASC')
      .limit(limit);
    if (prefix) {
      query.where(`lower(u.username) LIKE :pattern ESCAPE '\\'`, {
        pattern: `${escapeLike(prefix.toLowerCase())}%`,
      });
    }
    return query.getMany();
  }

  async setLastSeen(id: string, at: Date): Promise<void> {
    await this.users.update({ id }, { lastSeen: at });
  }
}
