import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { SingleFlight } from '../common/concurrency/single-flight';
import { AppError } from '../common/errors/app-error';

export interface GroupTarget {
  conversationId: string;
  privateGroup: boolean;
}

/** Pairs and groups whose conversation id is remembered; the least recently used go first. */
const DIRECT_CACHE_MAX = 200_000;
const GROUP_CACHE_MAX = 100_000;

/**
 * Where a send goes: the direct conversation of a pair (created on the first message) or a group's
 * conversation. Both answers never change once known, so they are cached (bounded, LRU) and filled
 * single-flight: N concurrent first sends of a new pair cost one statement, not N transactions
 * queueing on the pair's unique index while each holds a pool connection (issue 12, cold start).
 */
@Injectable()
export class ConversationResolver {
  private readonly direct = new LRUCache<string, string>({ max: DIRECT_CACHE_MAX });
  private readonly groups = new LRUCache<string, GroupTarget>({ max: GROUP_CACHE_MAX });
  private readonly directFills = new SingleFlight<string, string>();
  private readonly groupFills = new SingleFlight<string, GroupTarget>();

  constructor(private readonly dataSource: DataSource) {}

  /** The pair's conversation, created with its two members if needed; NOT_FOUND for no such user. */
  directConversationId(senderId: string, recipientId: string): Promise<string> {
    const [low, high] = senderId < recipientId ? [senderId, recipientId] : [recipientId, senderId];
    const key = `${low}:${high}`;
    const cached = this.direct.get(key);
    if (cached) {
      return Promise.resolve(cached);
    }
    return this.directFills.run(key, async () => {
      const id = await this.findOrCreateDirect(low, high, recipientId);
      this.direct.set(key, id);
      return id;
    });
  }

  /** The group's conversation and visibility; NOT_FOUND for no such group. */
  groupTarget(groupId: string): Promise<GroupTarget> {
    const cached = this.groups.get(groupId);
    if (cached) {
      return Promise.resolve(cached);
    }
    return this.groupFills.run(groupId, async () => {
      const rows: { conversation_id: string; visibility: string }[] = await this.dataSource.query(
        'SELECT conversation_id, visibility FROM groups WHERE id = $1',
        [groupId],
      );
      if (!rows[0]) {
        throw AppError.notFound('Group');
      }
      const target = {
        conversationId: rows[0].conversation_id,
        privateGroup: rows[0].visibility === 'private',
      };
      this.groups.set(groupId, target);
      return target;
    });
  }

  /**
   * One statement: the recipient check, the conversation insert and its two members. When another
   * statement created the pair concurrently, ON CONFLICT waits for it but this statement's snapshot
   * cannot see its row: the second attempt (a new snapshot) does.
   */
  private async findOrCreateDirect(
    low: string,
    high: string,
    recipientId: string,
  ): Promise<string> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const rows: { id: string | null; recipient_exists: boolean }[] = await this.dataSource.query(
        `WITH recipient AS (SELECT 1 FROM users WHERE id = $3),
              created AS (
                INSERT INTO conversations (type, user_low, user_high)
                SELECT 'direct', $1, $2 FROM recipient
                ON CONFLICT (user_low, user_high) WHERE type = 'direct' DO NOTHING
                RETURNING id),
              members AS (
                INSERT INTO conversation_members (conversation_id, user_id)
                SELECT created.id, u.id FROM created, unnest(ARRAY[$1, $2]::uuid[]) AS u(id)
                ON CONFLICT (conversation_id, user_id) DO NOTHING)
         SELECT COALESCE(
                  (SELECT id FROM created),
                  (SELECT id FROM conversations WHERE type = 'direct' AND user_low = $1 AND user_high = $2)
                ) AS id,
                EXISTS (SELECT 1 FROM recipient) AS recipient_exists`,
        [low, high, recipientId],
      );
      if (!rows[0]?.recipient_exists) {
        throw AppError.notFound('Recipient');
      }
      if (rows[0].id) {
        return rows[0].id;
      }
    }
    throw new Error('The direct conversation was neither created nor found');
  }
}
