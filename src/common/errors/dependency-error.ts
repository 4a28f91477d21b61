/**
 * Recognises failures that mean "PostgreSQL or Redis could not be reached or is overloaded", as
 * opposed to "this request is wrong" or "our code is wrong". Such failures are answered
 * 503 UNAVAILABLE with a retry hint (SPEC 3), never 401 or 500.
 */

/** Node socket errors that mean the peer is gone or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 53 (insufficient resources), 57P01-57P03
 * (admin/crash shutdown, cannot connect now), 3D000 (the database is gone, seen on connect), and the
 * timeouts we set to shed overload: statement_timeout (57014) and lock_timeout (55P03).
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '3D000' ||
    code === '57014' ||
    code === '55P03'
  );
}

/** Messages of pg-pool, pg and ioredis for a lost or refused connection (they carry no code). */
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Reached the max retries per request limit/i,
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) {
    return false;
  }
  const candidate = error as ErrorLike;
  const code = typeof candidate.code === 'string' ? candidate.code : undefined;
  // 'UNAVAILABLE': our own AppError (pool admission), possibly wrapped by TypeORM.
  if (
    code !== undefined &&
    (code === 'UNAVAILABLE' || NETWORK_CODES.has(code) || isUnavailableSqlState(code))
  ) {
    return true;
  }
  if (
    typeof candidate.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(candidate.message as string))
  ) {
    return true;
  }
  // TypeORM wraps the pg error (driverError); AggregateError (dual-stack connect) lists several.
  if (
    Array.isArray(candidate.errors) &&
    candidate.errors.some((e) => isDependencyUnavailable(e, depth + 1))
  ) {
    return true;
  }
  return (
    isDependencyUnavailable(candidate.driverError, depth + 1) ||
    isDependencyUnavailable(candidate.cause, depth + 1)
  );
}
