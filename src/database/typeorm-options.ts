import type { DataSourceOptions } from 'typeorm';
import { AttachmentEntity } from '../attachments/entities/attachment.entity';
import { UserBlockEntity } from '../blocks/entities/user-block.entity';
import { SessionEntity } from '../auth/entities/session.entity';
import { GroupMemberEntity } from '../groups/entities/group-member.entity';
import { GroupEntity } from '../groups/entities/group.entity';
import { ConversationMemberEntity } from '../messaging/entities/conversation-member.entity';
import { ConversationEntity } from '../messaging/entities/conversation.entity';
import { MessageEntity } from '../messaging/entities/message.entity';
import { UserEntity } from '../users/entities/user.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-InitialSchema';
import { PostMessagesFunction1764000000001 } from './migrations/1764000000001-PostMessagesFunction';
import { AttachmentsSearchBlocks1764000000030 } from './migrations/1764000000030-AttachmentsSearchBlocks';

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
];

export const MIGRATIONS = [
  InitialSchema1764000000000,
  PostMessagesFunction1764000000001,
  AttachmentsSearchBlocks1764000000030,
];

/** Options shared by the app and the TypeORM CLI (`ormconfig.ts`). `synchronize` is never used. */
export function buildDataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
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
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'messaging-api',
    },
  };
}
