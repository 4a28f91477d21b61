import { registerAs } from '@nestjs/config';
import * as path from 'node:path';
import { validateEnv } from './env.schema';

/**
 * Typed configuration namespaces. Each reads the already validated environment, so a bad value has
 * stopped start-up before any of these runs.
 */
const env = () => validateEnv(process.env);

export const appConfig = registerAs('app', () => {
  const e = env();
  return {
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS === '*' ? true : e.CORS_ORIGINS.split(',').map((o) => o.trim()),
    bodyLimit: '64kb',
  };
});

export const databaseConfig = registerAs('database', () => {
  const e = env();
  return {
    url: e.DATABASE_URL,
    poolSize: e.DATABASE_POOL_SIZE,
    poolMin: e.DATABASE_POOL_MIN,
    poolMaxWaiters: e.DATABASE_POOL_MAX_WAITERS,
    connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
});

export const messagingConfig = registerAs('messaging', () => {
  const e = env();
  return {
    /** Sends accepted but not yet committed, per process (admission control). */
    maxQueuedSends: e.MESSAGE_QUEUE_LIMIT,
    /** No send is accepted while the oldest queued one has waited this long (0 = off). */
    maxQueueWaitMs: e.MESSAGE_QUEUE_MAX_WAIT_MS,
    /** No send is accepted while the event loop runs this much late (0 = off). */
    loopLagLimitMs: e.MESSAGE_LOOP_LAG_LIMIT_MS,
    /** Group commits start at most this often under load (0 = back to back). */
    batchIntervalMs: e.MESSAGE_BATCH_INTERVAL_MS,
  };
});

export const realtimeConfig = registerAs('realtime', () => {
  const e = env();
  return {
    /** New connections are refused while the event loop runs this much late (0 = off). */
    connectLoopLagLimitMs: e.CONNECT_LOOP_LAG_LIMIT_MS,
    /** New connections are refused while this many are authenticated or set up (0 = off). */
    connectMaxInFlight: e.CONNECT_MAX_IN_FLIGHT,
  };
});

export const redisConfig = registerAs('redis', () => {
  const e = env();
  return {
    url: e.REDIS_URL,
    /** Applied to every key (ioredis keyPrefix on the shared client) and to the adapter channels. */
    keyPrefix: e.REDIS_KEY_PREFIX,
    /** Presence heartbeat TTL; heartbeats and the dead-instance sweep run every third of it. */
    presenceInstanceTtlMs: e.PRESENCE_INSTANCE_TTL_MS,
  };
});

export const authConfig = registerAs('auth', () => ({
  /** Undefined only before start-up has run `ensureJwtSecret` (src/config/jwt-secret.ts), which generates and keeps one outside production. */
  jwtSecret: env().JWT_SECRET,
  accessTokenTtlSeconds: 15 * 60,
  refreshTokenTtlSeconds: 30 * 24 * 60 * 60,
  issuer: 'messaging-api',
  audience: 'messaging-api-clients',
}));

export const rateLimitConfig = registerAs('rateLimit', () => {
  const e = env();
  return {
    authPerMinute: e.RATE_LIMIT_AUTH,
    loginFailuresPer15Minutes: e.RATE_LIMIT_LOGIN_FAILURES,
    messagesPer10Seconds: e.RATE_LIMIT_MESSAGES,
    typingPer10Seconds: e.RATE_LIMIT_TYPING,
    requestsPerMinute: e.RATE_LIMIT_REQUESTS,
  };
});

export const attachmentsConfig = registerAs('attachments', () => {
  const e = env();
  return {
    maxBytes: e.ATTACHMENT_MAX_BYTES,
    /** Local storage (and the upload spool in every mode): DATA_DIR/attachments. */
    directory: path.join(path.resolve(e.DATA_DIR), 'attachments'),
    s3: e.S3_BUCKET
      ? {
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          credentials:
            e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
              ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
              : undefined,
        }
      : null,
  };
});
export const messagesConfig = registerAs('messages', () => ({
  /** Seconds after sending during which the sender may edit; 0 = no limit. */
  editWindowSeconds: env().EDIT_WINDOW_SECONDS,
}));

export const configNamespaces = [
  appConfig,
  databaseConfig,
  messagingConfig,
  realtimeConfig,
  redisConfig,
  authConfig,
  rateLimitConfig,
  attachmentsConfig,
  messagesConfig,
];

export type AppConfig = ReturnType<typeof appConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type MessagingConfig = ReturnType<typeof messagingConfig>;
export type RealtimeConfig = ReturnType<typeof realtimeConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type AuthConfig = ReturnType<typeof authConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type AttachmentsConfig = ReturnType<typeof attachmentsConfig>;
export type MessagesConfig = ReturnType<typeof messagesConfig>;

export interface RootConfig {
  app: AppConfig;
  database: DatabaseConfig;
  messaging: MessagingConfig;
  realtime: RealtimeConfig;
  redis: RedisConfig;
  auth: AuthConfig;
  rateLimit: RateLimitConfig;
  attachments: AttachmentsConfig;
  messages: MessagesConfig;
}
