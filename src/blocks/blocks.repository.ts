import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { groupBy } from '../common/collections';
import { UserBlockEntity } from './entities/user-block.entity';

/** The only reader and writer of `user_blocks`. */
@Injectable()
export class BlocksRepository {
  constructor(
    @InjectRepository(UserBlockEntity) private readonly blocks: Repository<UserBlockEntity>,
  ) {}

  /** Idempotent: the primary key makes a second block a no-op. */
  async insert(blockerId: string, blockedId: string): Promise<void> {
    await this.blocks
      .createQueryBuilder()
      .insert()
      .values({ blockerId, blockedId })
      .orIgnore()
      .execute();
  }

  async delete(blockerId: string, blockedId: string): Promise<void> {
    await this.blocks.delete({ blockerId, blockedId });
  }

  /** The users `blockerId` blocks, most recently blocked first. */
  async blockedIds(blockerId: string): Promise<string[]> {
    const rows = await this.blocks.find({
      select: { blockedId: true },
      where: { blockerId },
      order: { createdAt: 'DESC', blockedId: 'ASC' },
    });
    return rows.map((row) => row.blockedId);
  }

  /** blockedIds for many blockers in one statement (order within each list not kept). */
  async blockedIdsOf(blockerIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.blocks.find({
      select: { blockerId: true, blockedId: true },
      where: { blockerId: In([...blockerIds]) },
    });
    return groupBy(
      rows,
      (row) => row.blockerId,
      (row) => row.blockedId,
    );
  }

  /** True while either user blocks the other. */
  /**
   * Of the pairs `"low:high"` (ids in order), those where either user blocks the other, in one
   * statement (a cold start checks many new pairs at once).
   */
  async blockedPairs(pairs: readonly string[]): Promise<Map<string, boolean>> {
    const lows = pairs.map((pair) => pair.slice(0, pair.indexOf(':')));
    const highs = pairs.map((pair) => pair.slice(pair.indexOf(':') + 1));
    const rows: { low: string; high: string }[] = await this.blocks.query(
      `SELECT DISTINCT p.low, p.high
         FROM unnest($1::uuid[], $2::uuid[]) AS p(low, high)
         JOIN user_blocks b ON (b.blocker_id = p.low AND b.blocked_id = p.high)
                            OR (b.blocker_id = p.high AND b.blocked_id = p.low)`,
      [lows, highs],
    );
    return new Map(rows.map((row) => [`${row.low}:${row.high}`, true]));
  }
}
