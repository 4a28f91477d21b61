/**
 * Retry policy shared by the REST and realtime sends: the server's hint (`Retry-After`,
 * `retryAfterMs`) wins, jitter spreads the retries of many clients, and one bound caps the whole wait.
 */
import { ApiError } from './api-error';

/** Timers the SDK waits on; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RetryOptions {
  /** Bound on the time one send may spend across all its tries and waits, in ms (default 30,000). */
  maxTotalWaitMs?: number;
  /** Tries per send, the first included (default 5). */
  maxAttempts?: number;
  /** First delay of the exponential backoff used when the server gives no hint, in ms (default 500). */
  baseDelayMs?: number;
  /** Cap of that backoff, in ms (default 10,000). */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1) (default Math.random). */
  random?: () => number;
  /** Timers (default the real ones). */
  clock?: Clock;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  return {
    maxTotalWaitMs: options.maxTotalWaitMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 5,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    random: options.random ?? Math.random,
    clock: options.clock ?? systemClock,
  };
}

/** Exponential backoff with "equal jitter": half of the step fixed, half random. */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + options.random() * (step / 2));
}

/** The server's hint plus jitter: up to half of it again, at least 100 ms and at most 2 s. */
export function hintedDelay(hintMs: number, random: () => number): number {
  return Math.round(hintMs + random() * Math.min(2_000, Math.max(100, hintMs / 2)));
}

/** Codes that mean "nothing was wrong with the request, try it again later". */
const RETRYABLE_CODES = new Set<string>(['UNAVAILABLE', 'RATE_LIMITED']);

/**
 * How long to wait before retrying after `error`, or undefined when it must not be retried.
 * `UNAVAILABLE` / `RATE_LIMITED` answers wait for the server's hint (backoff when none); an ack timeout
 * or a network failure (no answer at all) backs off; any other API error is final.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  options: ResolvedRetryOptions,
): number | undefined {
  if (error instanceof ApiError) {
    if (!RETRYABLE_CODES.has(error.code)) {
      return undefined;
    }
    return error.retryAfterMs !== undefined
      ? hintedDelay(error.retryAfterMs, options.random)
      : backoffDelay(attempt, options);
  }
  return backoffDelay(attempt, options);
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * Runs `operation` until it succeeds, a final error comes back, the tries run out, or the next wait
 * would end past `maxTotalWaitMs` from the start; then the last error is thrown.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: ResolvedRetryOptions,
): Promise<T> {
  const started = options.clock.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      const delay = retryDelay(error, attempt, options);
      const elapsed = options.clock.now() - started;
      if (
        delay === undefined ||
        attempt + 1 >= options.maxAttempts ||
        elapsed + delay > options.maxTotalWaitMs
      ) {
        throw error;
      }
      await sleep(options.clock, delay);
    }
  }
}
