import { Injectable } from '@nestjs/common';
import type { PublicUser } from '../../libs/contracts/src';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { AppError } from '../common/errors/app-error';
import { UsersService } from '../users/users.service';
import { BlocksRepository } from './blocks.repository';

/**
 * Answers are cached briefly: the direct-message check runs on every send and the realtime filter on
 * every presence and typing event. A change made on this instance invalidates at once; one made on
 * another instance is seen within this TTL. Concurrent misses of one key share one query (a cold
 * start sends many first messages per pair at once).
 */
const CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;
/** `GET /api/users/blocked` lists at most this many (the most recent). */
export const MAX_LISTED_BLOCKS = 1_000;

interface Expiring<T> {
  value: T;
  expires: number;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** Direct messages are refused both ways while either user blocks the other. */
function refuseIfBlocked(blocked: boolean): void {
  if (blocked) {
    throw AppError.forbidden('You cannot message this user');
  }
}

/** Blocking between users: the only writer of `user_blocks` and the one place that reads it. */
@Injectable()
export class BlocksService {
  private readonly pairs = new Map<string, Expiring<boolean>>();
  private readonly blockedSets = new Map<string, Expiring<Set<string>>>();
  /** Pairs missed in one event-loop turn are checked together; a running check is shared. */
  private readonly pairReads: TickBatcher<string, boolean>;
  /**
   * The blocked sets missed in one event-loop turn are read together (presence fan-out of a storm),
   * and a set already being read is shared, until a local change forgets that read.
   */
  private readonly setReads: TickBatcher<string, string[]>;
  /**
   * Bumped by every local change: a fill that started before one neither caches its answer nor is
   * shared with callers that arrive after it (they start their own).
   */
  private changes = 0;

  constructor(
    private readonly repository: BlocksRepository,
    private readonly users: UsersService,
  ) {
    this.pairReads = new TickBatcher((pairs) => repository.blockedPairs(pairs), {
      maxBatch: 500,
      fallback: false,
      joinInFlight: true,
    });
    this.setReads = new TickBatcher((ids) => repository.blockedIdsOf(ids), {
      maxBatch: 500,
      fallback: [],
      joinInFlight: true,
    });
  }

  /** Blocks `targetId` (idempotent). Yourself is 400, an unknown user 404. */
  async block(callerId: string, targetId: string): Promise<void> {
    const target = await this.requireOther(callerId, targetId);
    await this.repository.insert(callerId, target);
    this.invalidate(callerId, target);
  }

  /** Lifts the block (idempotent; an unknown user is 404, as for block). */
  async unblock(callerId: string, targetId: string): Promise<void> {
    const target = await this.requireOther(callerId, targetId);
    await this.repository.delete(callerId, target);
    this.invalidate(callerId, target);
  }

  /** The public profiles the caller blocks, most recent first. */
  async listBlocked(callerId: string): Promise<PublicUser[]> {
    const ids = (await this.repository.blockedIds(callerId)).slice(0, MAX_LISTED_BLOCKS);
    const users = await this.users.findByIds(ids);
    const byId = new Map(users.map((user) => [user.id, user]));
    return this.users.toPublicUsers(ids.flatMap((id) => byId.get(id) ?? []));
  }

  /**
   * The users `userId` blocks. Their messages stay out of `userId`'s search and mention counts, and
   * `userId`'s presence and typing stay hidden from them.
   */
  async blockedBy(userId: string): Promise<Set<string>> {
    const hit = this.blockedSets.get(userId);
    if (hit && hit.expires > Date.now()) {
      return hit.value;
    }
    const started = this.changes;
    const value = new Set(await this.setReads.get(userId));
    if (started === this.changes) {
      this.remember(this.blockedSets, userId, value);
    }
    return value;
  }

  /**
   * Direct messages are refused (403) both ways while either user blocks the other. Synchronous
   * (undefined) when the pair's answer is cached, as it is for every send after a pair's first: the
   * send path then takes no extra turn.
   */
  assertCanMessage(senderId: string, recipientId: string): Promise<void> | undefined {
    const cached = this.cachedBlockedEitherWay(pairKey(senderId, recipientId));
    if (cached === undefined) {
      return this.blockedEitherWay(senderId, recipientId).then(refuseIfBlocked);
    }
    refuseIfBlocked(cached);
    return undefined;
  }

  async blockedEitherWay(a: string, b: string): Promise<boolean> {
    const key = pairKey(a, b);
    const cached = this.cachedBlockedEitherWay(key);
    if (cached !== undefined) {
      return cached;
    }
    const started = this.changes;
    const value = await this.pairReads.get(key);
    if (started === this.changes) {
      this.remember(this.pairs, key, value);
    }
    return value;
  }

  private cachedBlockedEitherWay(key: string): boolean | undefined {
    const hit = this.pairs.get(key);
    return hit && hit.expires > Date.now() ? hit.value : undefined;
  }

  private async requireOther(callerId: string, targetId: string): Promise<string> {
    const target = targetId.toLowerCase();
    if (target === callerId) {
      throw AppError.validation('You cannot block yourself', [
        { field: 'userID', message: 'userID must be another user' },
      ]);
    }
    if (!(await this.users.findById(target))) {
      throw AppError.notFound('User');
    }
    return target;
  }

  private invalidate(blockerId: string, blockedId: string): void {
    this.changes += 1;
    this.setReads.forget(blockerId);
    this.pairReads.forget(pairKey(blockerId, blockedId));
    this.pairs.delete(pairKey(blockerId, blockedId));
    this.blockedSets.delete(blockerId);
  }

  private remember<T>(cache: Map<string, Expiring<T>>, key: string, value: T): void {
    if (cache.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest tenth rather than everything at once.
      let drop = MAX_ENTRIES / 10;
      for (const oldest of cache.keys()) {
        cache.delete(oldest);
        if (--drop <= 0) {
          break;
        }
      }
    }
    cache.delete(key);
    cache.set(key, { value, expires: Date.now() + CACHE_TTL_MS });
  }
}
