import { Injectable } from '@nestjs/common';
import { boundedLru } from '../common/bounded-lru';
import { SingleFlight } from '../common/concurrency/single-flight';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { AppError } from '../common/errors/app-error';
import { ConversationsRepository } from './repositories/conversations.repository';

export interface GroupTarget {
  conversationId: string;
  privateGroup: boolean;
}

/** Pairs and groups whose conversation id is remembered; the least recently used go first. */
const DIRECT_CACHE_MAX = 200_000;
const GROUP_CACHE_MAX = 100_000;

/** A direct pair's cache key, the same whoever sends. */
function directKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/**
 * Where a send goes: the direct conversation of a pair (created on the first message) or a group's
 * conversation. Both answers never change once known, so they are cached (bounded, LRU) and filled
 * single-flight: N concurrent first sends of a new pair cost one statement, not N transactions
 * queueing on the pair's unique index while each holds a pool connection (issue 12, cold start).
 * The new pairs of one event-loop turn share one statement too: after a deploy every active pair is
 * new to the process at once.
 */
@Injectable()
export class ConversationResolver {
  private readonly direct = boundedLru<string, string>(DIRECT_CACHE_MAX);
  private readonly groups = boundedLru<string, GroupTarget>(GROUP_CACHE_MAX);
  /** Pairs missed in one event-loop turn are found or created together; a running fill is shared. */
  private readonly directFills: TickBatcher<string, string | null>;
  private readonly groupFills = new SingleFlight<string, GroupTarget>();

  constructor(private readonly conversations: ConversationsRepository) {
    this.directFills = new TickBatcher((pairs) => this.findOrCreateDirects(pairs), {
      maxBatch: 500,
      fallback: null,
      joinInFlight: true,
    });
  }

  /** The pair's conversation if this instance knows it already (no turn taken), else undefined. */
  knownDirectConversationId(senderId: string, recipientId: string): string | undefined {
    return this.direct.get(directKey(senderId, recipientId));
  }

  /** The pair's conversation, created with its two members if needed; NOT_FOUND for no such user. */
  directConversationId(senderId: string, recipientId: string): Promise<string> {
    const key = directKey(senderId, recipientId);
    const cached = this.direct.get(key);
    if (cached) {
      return Promise.resolve(cached);
    }
    return this.directFills.get(key).then((id) => {
      if (!id) {
        throw AppError.notFound('Recipient');
      }
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
      const group = await this.conversations.findGroupConversation(groupId);
      if (!group) {
        throw AppError.notFound('Group');
      }
      const target = {
        conversationId: group.conversationId,
        privateGroup: group.visibility === 'private',
      };
      this.groups.set(groupId, target);
      return target;
    });
  }

  /**
   * Created or found in one statement. A pair created concurrently by another statement is invisible
   * to this one's snapshot: a second statement (a new snapshot) sees it. Pairs with an unknown user
   * are absent (NOT_FOUND for the caller).
   */
  private async findOrCreateDirects(pairs: readonly string[]): Promise<Map<string, string | null>> {
    const found = await this.conversations.findOrCreateDirects(pairs);
    const raced = [...found].filter(([, id]) => id === null).map(([pair]) => pair);
    if (raced.length) {
      for (const [pair, id] of await this.conversations.findOrCreateDirects(raced)) {
        if (!id) {
          throw new Error('The direct conversation was neither created nor found');
        }
        found.set(pair, id);
      }
    }
    return found;
  }
}
