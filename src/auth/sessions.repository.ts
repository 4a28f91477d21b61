import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { SessionEntity } from './entities/session.entity';

/** What the access check needs of a session. */
export interface SessionActivity {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date;
}

interface ActivityRow {
  id: string;
  revoked_at: Date | null;
  expires_at: Date;
}

/** The only reader and writer of `sessions`. */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
  ) {}

  async insert(
    session: Pick<SessionEntity, 'id' | 'userId' | 'tokenHash' | 'expiresAt'>,
  ): Promise<void> {
    await this.sessions.insert({
      ...session,
      previousTokenHash: null,
      revokedAt: null,
      revokedReason: null,
      rotatedAt: null,
    });
  }

  findById(id: string): Promise<SessionEntity | null> {
    return this.sessions.findOne({ where: { id } });
  }

  /**
   * The activity of every listed session that exists, in one statement: a storm of connects checks
   * its sessions in batches, not one query each. Plain SQL on purpose: this is the connect hot path.
   */
  async activity(ids: readonly string[]): Promise<Map<string, SessionActivity>> {
    const rows: ActivityRow[] = await this.sessions.query(
      `SELECT id, revoked_at, expires_at FROM sessions WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, revokedAt: row.revoked_at, expiresAt: row.expires_at },
      ]),
    );
  }

  /** Swaps the current secret if it is still `presented`; false when another rotation won. */
  async rotate(id: string, presented: string, nextHash: string): Promise<boolean> {
    const result = await this.sessions.update(
      { id, tokenHash: presented, revokedAt: IsNull() },
      { tokenHash: nextHash, previousTokenHash: presented, rotatedAt: new Date() },
    );
    return !!result.affected;
  }

  async revoke(id: string, reason: string): Promise<void> {
    await this.sessions.update(
      { id, revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
  }
}
