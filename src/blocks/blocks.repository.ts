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
  async existsEitherWay(a: string, b: string): Promise<boolean> {
    return this.blocks
      .createQueryBuilder('b')
      .where(
        '(b.blocker_id = :a AND b.blocked_id = :b) OR (b.blocker_id = :b AND b.blocked_id = :a)',
        {
          a,
          b,
        },
      )
      .getExists();
  }
}
