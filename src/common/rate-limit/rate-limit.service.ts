import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RootConfig } from '../../config/configuration';
import { AppError } from '../errors/app-error';
import { REDIS_CLIENT } from '../redis/redis.module';

export type RateLimitName = 'auth' | 'loginFailures' | 'messages' | 'typing' | 'requests';

/** Where a key stands after one event was counted (the numbers behind the RateLimit headers). */
export interface RateLimitState {
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
  /** True when this event went past the limit (answer 429). */
  limited: boolean;
}

interface LimitDefinition {
  points: number;
  durationSeconds: number;
}

/**
 * Fixed-window counters for SPEC's limits (the four specific ones and the general request budget). With REDIS_URL the counters live in Redis so the
 * limits hold across instances; if Redis is unreachable a request is let through (availability over
 * strictness) using an in-process limiter as insurance. A limit of 0 is off.
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger('RateLimit');
  private readonly limiters = new Map<RateLimitName, RateLimiterAbstract>();

  constructor(config: ConfigService<RootConfig, true>, @Inject(REDIS_CLIENT) redis: Redis | null) {
    const limits = config.get('rateLimit', { infer: true });
    const definitions: Record<RateLimitName, LimitDefinition> = {
      auth: { points: limits.authPerMinute, durationSeconds: 60 },
      loginFailures: { points: limits.loginFailuresPer15Minutes, durationSeconds: 15 * 60 },
      messages: { points: limits.messagesPer10Seconds, durationSeconds: 10 },
      typing: { points: limits.typingPer10Seconds, durationSeconds: 10 },
      requests: { points: limits.requestsPerMinute, durationSeconds: 60 },
    };
    for (const [name, definition] of Object.entries(definitions) as [
      RateLimitName,
      LimitDefinition,
    ][]) {
      if (definition.points <= 0) {
        continue;
      }
      const options = {
        keyPrefix: `rl:${name}`,
        points: definition.points,
        duration: definition.durationSeconds,
      };
      const limiter = redis
        ? new RateLimiterRedis({
            ...options,
            storeClient: redis,
            useRedisPackage: false,
            // While Redis is down, answer from the insurance limiter at once instead of waiting
            // for ioredis' retries on every request.
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory(options),
          })
        : new RateLimiterMemory(options);
      this.limiters.set(name, limiter);
    }
  }

  isEnabled(name: RateLimitName): boolean {
    return this.limiters.has(name);
  }

  /** Counts one event against `key`; throws RATE_LIMITED (with Retry-After) past the limit. */
  async consume(name: RateLimitName, key: string): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) {
      return;
    }
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        throw AppError.rateLimited(result.msBeforeNext / 1000);
      }
      this.logger.warn(`Rate limiter ${name} failed open: ${String(result)}`);
    }
  }

  /**
   * Counts one event against `key` and says where the key stands, without throwing; undefined when
   * the limit is off. If the store fails the event is let through with a full allowance reported.
   */
  async take(name: RateLimitName, key: string): Promise<RateLimitState | undefined> {
    const limiter = this.limiters.get(name);
    if (!limiter) {
      return undefined;
    }
    const state = (result: RateLimiterRes, limited: boolean): RateLimitState => ({
      limit: limiter.points,
      windowSeconds: limiter.duration,
      remaining: Math.max(0, result.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      limited,
    });
    try {
      return state(await limiter.consume(key), false);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        return state(result, true);
      }
      this.logger.warn(`Rate limiter ${name} failed open: ${String(result)}`);
      return {
        limit: limiter.points,
        windowSeconds: limiter.duration,
        remaining: limiter.points,
        resetSeconds: limiter.duration,
        limited: false,
      };
    }
  }

  /** Gives back one point taken by `consume` (an attempt that turned out not to count). Never throws. */
  async refund(name: RateLimitName, key: string): Promise<void> {
    await this.limiters
      .get(name)
      ?.reward(key, 1)
      .catch(() => undefined);
  }
}
