import type { ErrorBody } from '../../contracts/src';

/** The contract's error codes (`UNAVAILABLE` and `RATE_LIMITED` mean: retry after the hint). */
export type ApiErrorCode = ErrorBody['code'];

/** An error answer of the API: the HTTP status plus the contract's `{code, message, details}`. */
export class ApiError extends Error {
  /** The server's retry hint in ms (`Retry-After` over HTTP, `retryAfterMs` on the socket). */
  readonly retryAfterMs?: number;

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorBody['details'],
    readonly retryAfterSeconds?: number,
    retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.retryAfterMs =
      retryAfterMs ?? (retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000);
  }
}

/** Reads a `Retry-After` header (delay-seconds or an HTTP date) as seconds; undefined when absent. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return seconds >= 0 ? seconds : undefined;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
