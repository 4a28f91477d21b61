import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../../database/transformers';

/**
 * A participant's place in a conversation with their delivery and read markers (the highest seq they
 * have received / read; both only move forward). `left_seq` is set while a group member is gone: they
 * may read up to it and receive nothing after it. `left_seq IS NULL` means an active participant.
 */
@Entity({ name: 'conversation_members' })
@Index('IDX_conversation_members_user', ['userId'])
export class ConversationMemberEntity {
  @PrimaryColumn({ name: 'conversation_id', type: 'uuid' })
  @ForeignKey('ConversationEntity', {
    name: 'FK_conversation_members_conversation',
    onDelete: 'CASCADE',
  })
  conversationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'FK_conversation_members_user', onDelete: 'CASCADE' })
  userId!: string;

  @Column({ name: 'last_read_seq', type: 'bigint', default: 0, transformer: bigintToNumber })
  lastReadSeq!: number;

  @Column({ name: 'last_delivered_seq', type: 'bigint', default: 0, transformer: bigintToNumber })
  lastDeliveredSeq!: number;

  @Column({ name: 'left_seq', type: 'bigint', nullable: true, transformer: bigintToNumber })
  leftSeq!: number | null;

  @Column({ name: 'joined_at', type: 'timestamptz', default: () => 'now()' })
  joinedAt!: Date;
}
