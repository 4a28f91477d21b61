import type { DataSourceOptions } from 'typeorm';
import { AttachmentEntity } from '../attachments/entities/attachment.entity';
import { UserBlockEntity } from '../blocks/entities/user-block.entity';
import { SessionEntity } from '../auth/entities/session.entity';
import { GroupMemberEntity } from '../groups/entities/group-member.entity';
import { GroupEntity } from '../groups/entities/group.entity';
import { ConversationMemberEntity } from '../messaging/entities/conversation-member.entity';
import { ConversationEntity } from '../messaging/entities/conversation.entity';
import { MessageEditEntity } from '../messaging/entities/message-edit.entity';
import { MessageEntity } from '../messaging/entities/message.entity';
import { MessageReactionEntity } from '../messaging/entities/message-reaction.entity';
import { UserEntity } from '../users/entities/user.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-InitialSchema';
import { PostMessagesFunction1764000000001 } from './migrations/1764000000001-PostMessagesFunction';
import { SessionPreviousTokenHash1764000000010 } from './migrations/1764000000010-SessionPreviousTokenHash';
import { AttachmentsSearchBlocks1764000000030 } from './migrations/1764000000030-AttachmentsSearchBlocks';
import { MessageLifecycle1764000000020 } from './migrations/1764000000020-MessageLifecycle';
import { LeanPostMessages1764000000040 } from './migrations/1764000000040-LeanPostMessages';
import { PlanStablePostMessages1764000000050 } from './migrations/1764000000050-PlanStablePostMessages';

export const ENTITIES = [
  UserEntity,
  SessionEntity,
  GroupEntity,
  GroupMemberEntity,
  ConversationEntity,
  ConversationMemberEntity,
  MessageEntity,
  AttachmentEntity,
  UserBlockEntity,
  MessageEditEntity,
  MessageReactionEntity,
];

export const MIGRATIONS = [
  InitialSchema1764000000000,
  PostMessagesFunction1764000000001,
  SessionPreviousTokenHash1764000000010,
  MessageLifecycle1764000000020,
  AttachmentsSearchBlocks1764000000030,
  LeanPostMessages1764000000040,
  PlanStablePostMessages1764000000050,
];

/** Pool size and the per-connection limits that keep an overloaded database answering. */
export interface PoolSettings {
  poolSize: number;
  /** Connections the pool keeps open when idle (see pool-warm-up.ts for why the app keeps them). */
  minSize: number;
  connectTimeoutMs: number;
  /** 0 = none: PostgreSQL's statement_timeout, lock_timeout, idle_in_transaction_session_timeout. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** Migrations and the CLI: no statement or lock timeout (a migration may legitimately take long). */
const MAINTENANCE_POOL: PoolSettings = {
  poolSize: 2,
  minSize: 0,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 0,
  lockTimeoutMs: 0,
  idleInTransactionTimeoutMs: 0,
};

/** Options shared by the app and the TypeORM CLI (`ormconfig.ts`). `synchronize` is never used. */
export function buildDataSourceOptions(
  url: string,
  pool: number | Partial<PoolSettings> = {},
): DataSourceOptions {
  const settings: PoolSettings = {
    ...MAINTENANCE_POOL,
    ...(typeof pool === 'number' ? { poolSize: pool } : pool),
  };
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries surface as exceptions and are logged by the error filter without their
    // parameters; TypeORM's own logger would print parameters (message text, hashes).
    logging: false,
    extra: {
      max: settings.poolSize,
      min: settings.minSize,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'messaging-api',
      // Sent as startup parameters by node-postgres: no extra round trip per connection.
      ...(settings.statementTimeoutMs ? { statement_timeout: settings.statementTimeoutMs } : {}),
      ...(settings.lockTimeoutMs ? { lock_timeout: settings.lockTimeoutMs } : {}),
      ...(settings.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs }
        : {}),
    },
  };
}
