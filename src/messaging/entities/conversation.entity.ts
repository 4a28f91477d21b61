import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintToNumber } from '../../database/transformers';

export type ConversationKind = 'direct' | 'group';

/**
 * A direct conversation (exactly one per pair: `user_low < user_high`, unique) or the conversation of
 * a group. `last_seq` is the seq of its newest message; the next message takes `last_seq + 1` in the
 * same transaction that inserts it.
 */
@Entity({ name: 'conversations' })
@Index('UQ_conversations_direct_pair', ['userLow', 'userHigh'], {
  unique: true,
  where: `"type" = 'direct'`,
})
@Index('UQ_conversations_group', ['groupId'], { unique: true, where: `"group_id" IS NOT NULL` })
@Check('CHK_conversations_type', `"type" IN ('direct', 'group')`)
@Check(
  'CHK_conversations_direct_pair',
  `("type" = 'direct' AND "user_low" IS NOT NULL AND "user_high" IS NOT NULL AND "user_low" < "user_high" AND "group_id" IS NULL)
          OR ("type" = 'group' AND "group_id" IS NOT NULL AND "user_low" IS NULL AND "user_high" IS NULL)`,
)
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 10 })
  type!: ConversationKind;

  @Column({ name: 'group_id', type: 'uuid', nullable: true })
  groupId!: string | null;

  @Column({ name: 'user_low', type: 'uuid', nullable: true })
  userLow!: string | null;

  @Column({ name: 'user_high', type: 'uuid', nullable: true })
  userHigh!: string | null;

  @Column({ name: 'last_seq', type: 'bigint', default: 0, transformer: bigintToNumber })
  lastSeq!: number;

  /** Gap-free count of changes to its messages (sends, edits, deletions, reactions, thread roots). */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  version!: number;

  @Column({ name: 'last_message_at', type: 'timestamptz', nullable: true })
  lastMessageAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
