/**
 * The environment contract. `validateEnv` is the only parser of process.env: it turns raw strings
 * into typed settings and stops start-up with one line naming the variable when a value is bad.
 */
export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Env {
  NODE_ENV: NodeEnv;
  PORT: number;
  DATABASE_URL: string | undefined;
  REDIS_URL: string | undefined;
  JWT_SECRET: string | undefined;
  DATA_DIR: string;
  LOG_LEVEL: LogLevel;
  CORS_ORIGINS: string;
  RATE_LIMIT_AUTH: number;
  RATE_LIMIT_LOGIN_FAILURES: number;
  RATE_LIMIT_MESSAGES: number;
  RATE_LIMIT_TYPING: number;
  /** General budget: requests per minute per user (per IP before sign-in) over all /api routes. */
  RATE_LIMIT_REQUESTS: number;
  /** How long after sending a message its sender may edit it; 0 = no limit. */
  EDIT_WINDOW_SECONDS: number;
  WORKERS: string | undefined;
  /** Prefix for every Redis key and the Socket.IO adapter channels (isolates deployments sharing a Redis). */
  REDIS_KEY_PREFIX: string;
  /** How long an instance's presence heartbeat lives in Redis; it is refreshed every third of this. */
  PRESENCE_INSTANCE_TTL_MS: number;
  /** Largest upload accepted; refused with 413 while streaming once passed. */
  ATTACHMENT_MAX_BYTES: number;
  /** When set, attachments live in this S3-compatible bucket instead of DATA_DIR/attachments. */
  S3_BUCKET: string | undefined;
  S3_ENDPOINT: string | undefined;
  S3_REGION: string;
  S3_ACCESS_KEY_ID: string | undefined;
  S3_SECRET_ACCESS_KEY: string | undefined;
  /** PostgreSQL connections per process. */
  DATABASE_POOL_SIZE: number;
  /** Connections opened and warmed at start-up and kept open when idle (at most the pool size). */
  DATABASE_POOL_MIN: number;
  /** Requests allowed to wait for a pool connection; more are answered 503 at once. */
  DATABASE_POOL_MAX_WAITERS: number;
  /** Longest wait for a pool connection (a new one included) before the request fails with 503. */
  DATABASE_CONNECT_TIMEOUT_MS: number;
  /** statement_timeout per connection (0 = none). */
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  /** lock_timeout per connection (0 = none). */
  DATABASE_LOCK_TIMEOUT_MS: number;
  /** idle_in_transaction_session_timeout per connection (0 = none). */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
  /** Sends accepted but not yet committed per process; more are answered 503 UNAVAILABLE at once. */
  MESSAGE_QUEUE_LIMIT: number;
  /** No send is accepted while the oldest queued one has waited this long (0 = no age bound). */
  MESSAGE_QUEUE_MAX_WAIT_MS: number;
  /** No send is accepted while the event loop runs this much late (0 = no lag bound). */
  MESSAGE_LOOP_LAG_LIMIT_MS: number;
  /**
   * Group commits start at most this often under load (0 = back to back); idle sends go at once.
   * 5 ms halves the CPU per message at 2,000 DM/s (a commit costs about the same whatever its size).
   */
  MESSAGE_BATCH_INTERVAL_MS: number;
  /** New connections are refused while the event loop runs this much late (0 = no lag bound). */
  CONNECT_LOOP_LAG_LIMIT_MS: number;
  /** New connections are refused while this many are being authenticated or set up (0 = no bound). */
  CONNECT_MAX_IN_FLIGHT: number;
}

export class EnvValidationError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid environment variable ${variable}: ${reason}`);
    this.name = 'EnvValidationError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const NODE_ENVS: readonly NodeEnv[] = ['development', 'production', 'test'];

function blankToUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(
  raw: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = blankToUndefined(raw[name]);
  if (value === undefined) {
    return fallback;
  }
  if (!/^\d+$/.test(value)) {
    throw new EnvValidationError(name, `expected a whole number, got "${value}"`);
  }
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new EnvValidationError(name, `expected a number from ${min} to ${max}, got ${parsed}`);
  }
  return parsed;
}

function oneOf<T extends string>(
  raw: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = blankToUndefined(raw[name]);
  if (value === undefined) {
    return fallback;
  }
  const lowered = value.toLowerCase() as T;
  if (!allowed.includes(lowered)) {
    throw new EnvValidationError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  }
  return lowered;
}

function url(
  raw: Record<string, unknown>,
  name: string,
  protocols: readonly string[],
): string | undefined {
  const value = blankToUndefined(raw[name]);
  if (value === undefined) {
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EnvValidationError(name, 'expected a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new EnvValidationError(
      name,
      `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`,
    );
  }
  return value;
}

function redisKeyPrefix(raw: Record<string, unknown>): string {
  const value = blankToUndefined(raw.REDIS_KEY_PREFIX);
  if (value === undefined) {
    return '';
  }
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(value)) {
    throw new EnvValidationError(
      'REDIS_KEY_PREFIX',
      'expected 1-64 of A-Z a-z 0-9 _ . : - (for example "chat:")',
    );
  }
  return value;
}

function s3Settings(
  raw: Record<string, unknown>,
): Pick<
  Env,
  'S3_BUCKET' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY'
> {
  const bucket = blankToUndefined(raw.S3_BUCKET);
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new EnvValidationError('S3_BUCKET', 'expected a bucket name (3-63 of a-z 0-9 . -)');
  }
  const accessKeyId = blankToUndefined(raw.S3_ACCESS_KEY_ID);
  const secretAccessKey = blankToUndefined(raw.S3_SECRET_ACCESS_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new EnvValidationError(
      accessKeyId === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY',
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
    );
  }
  return {
    S3_BUCKET: bucket,
    S3_ENDPOINT: url(raw, 'S3_ENDPOINT', ['http:', 'https:']),
    S3_REGION: blankToUndefined(raw.S3_REGION) ?? 'us-east-1',
    S3_ACCESS_KEY_ID: accessKeyId,
    S3_SECRET_ACCESS_KEY: secretAccessKey,
  };
}

/** Secrets copied from docs and examples: the one in .env.example, and the usual suspects. */
const PLACEHOLDER_SECRETS = new Set([
  'change-me-to-32-or-more-random-characters',
  'test-secret-that-is-long-enough-for-hs256-0123456789',
]);
const PLACEHOLDER_WORDS =
  /change[-_ ]?me|changeit|replace[-_ ]?me|your[-_ ]?(jwt[-_ ]?)?secret|placeholder|example|dummy|default[-_ ]?secret|not[-_ ]?a[-_ ]?secret|insecure|^secret/i;

/**
 * Why a production JWT_SECRET is a known placeholder rather than a secret, or null. Anyone who has
 * read the docs can sign tokens with a placeholder, so production refuses to start with one.
 */
export function placeholderSecretReason(secret: string): string | null {
  if (PLACEHOLDER_SECRETS.has(secret) || PLACEHOLDER_WORDS.test(secret)) {
    return 'is a placeholder from the docs or examples: generate one, e.g. `openssl rand -base64 48`';
  }
  if (new Set(secret).size < 8) {
    return 'repeats too few characters to be a secret: generate one, e.g. `openssl rand -base64 48`';
  }
  return null;
}

export function validateEnv(raw: Record<string, unknown>): Env {
  const nodeEnv = oneOf(raw, 'NODE_ENV', NODE_ENVS, 'development');
  const jwtSecret = blankToUndefined(raw.JWT_SECRET);
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new EnvValidationError('JWT_SECRET', 'must be at least 32 characters');
  }
  const databaseUrl = url(raw, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  if (nodeEnv === 'production' && jwtSecret === undefined) {
    throw new EnvValidationError('JWT_SECRET', 'is required when NODE_ENV=production');
  }
  // SPEC 2: DATABASE_URL is production mode, which refuses to start without JWT_SECRET; only the
  // embedded default may generate one (instances of one deployment must share it anyway).
  if (databaseUrl !== undefined && jwtSecret === undefined) {
    throw new EnvValidationError(
      'JWT_SECRET',
      'is required with DATABASE_URL (production mode; only the embedded default generates one)',
    );
  }
  const placeholder =
    nodeEnv === 'production' && jwtSecret !== undefined ? placeholderSecretReason(jwtSecret) : null;
  if (placeholder) {
    throw new EnvValidationError('JWT_SECRET', placeholder);
  }
  const workers = blankToUndefined(raw.WORKERS);
  const poolSize = integer(raw, 'DATABASE_POOL_SIZE', 20, 1, 1_000);
  if (workers !== undefined && workers !== 'auto' && !/^[1-9]\d{0,2}$/.test(workers)) {
    throw new EnvValidationError(
      'WORKERS',
      `expected "auto" or a number from 1 to 999, got "${workers}"`,
    );
  }
  return {
    NODE_ENV: nodeEnv,
    PORT: integer(raw, 'PORT', 3000, 0, 65535),
    DATABASE_URL: databaseUrl,
    REDIS_URL: url(raw, 'REDIS_URL', ['redis:', 'rediss:']),
    JWT_SECRET: jwtSecret,
    DATA_DIR: blankToUndefined(raw.DATA_DIR) ?? './data',
    LOG_LEVEL: oneOf(raw, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    CORS_ORIGINS: blankToUndefined(raw.CORS_ORIGINS) ?? '*',
    RATE_LIMIT_AUTH: integer(raw, 'RATE_LIMIT_AUTH', 20, 0, 1_000_000),
    RATE_LIMIT_LOGIN_FAILURES: integer(raw, 'RATE_LIMIT_LOGIN_FAILURES', 10, 0, 1_000_000),
    RATE_LIMIT_MESSAGES: integer(raw, 'RATE_LIMIT_MESSAGES', 30, 0, 1_000_000),
    RATE_LIMIT_TYPING: integer(raw, 'RATE_LIMIT_TYPING', 10, 0, 1_000_000),
    RATE_LIMIT_REQUESTS: integer(raw, 'RATE_LIMIT_REQUESTS', 600, 0, 1_000_000),
    EDIT_WINDOW_SECONDS: integer(raw, 'EDIT_WINDOW_SECONDS', 0, 0, 100 * 365 * 24 * 3600),
    WORKERS: workers,
    REDIS_KEY_PREFIX: redisKeyPrefix(raw),
    PRESENCE_INSTANCE_TTL_MS: integer(raw, 'PRESENCE_INSTANCE_TTL_MS', 15_000, 1_500, 600_000),
    ATTACHMENT_MAX_BYTES: integer(raw, 'ATTACHMENT_MAX_BYTES', 25 * 1024 * 1024, 1, 5 * 1024 ** 3),
    ...s3Settings(raw),
    DATABASE_POOL_SIZE: poolSize,
    DATABASE_POOL_MIN: integer(raw, 'DATABASE_POOL_MIN', poolSize, 0, poolSize),
    DATABASE_POOL_MAX_WAITERS: integer(raw, 'DATABASE_POOL_MAX_WAITERS', 200, 1, 1_000_000),
    DATABASE_CONNECT_TIMEOUT_MS: integer(raw, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    DATABASE_STATEMENT_TIMEOUT_MS: integer(
      raw,
      'DATABASE_STATEMENT_TIMEOUT_MS',
      15_000,
      0,
      86_400_000,
    ),
    DATABASE_LOCK_TIMEOUT_MS: integer(raw, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 0, 86_400_000),
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(
      raw,
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      60_000,
      0,
      86_400_000,
    ),
    MESSAGE_QUEUE_LIMIT: integer(raw, 'MESSAGE_QUEUE_LIMIT', 2_000, 1, 1_000_000),
    MESSAGE_QUEUE_MAX_WAIT_MS: integer(raw, 'MESSAGE_QUEUE_MAX_WAIT_MS', 600, 0, 60_000),
    MESSAGE_LOOP_LAG_LIMIT_MS: integer(raw, 'MESSAGE_LOOP_LAG_LIMIT_MS', 300, 0, 60_000),
    MESSAGE_BATCH_INTERVAL_MS: integer(raw, 'MESSAGE_BATCH_INTERVAL_MS', 5, 0, 1_000),
    CONNECT_LOOP_LAG_LIMIT_MS: integer(raw, 'CONNECT_LOOP_LAG_LIMIT_MS', 0, 0, 60_000),
    CONNECT_MAX_IN_FLIGHT: integer(raw, 'CONNECT_MAX_IN_FLIGHT', 0, 0, 1_000_000),
  };
}
