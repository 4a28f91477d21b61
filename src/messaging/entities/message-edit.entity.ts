import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintToNumber } from '../../database/transformers';

/** A previous content of an edited message (the content and mentions it had before `replacedAt`). */
@Entity({ name: 'message_edits' })
@Index('IDX_message_edits_message', ['messageId', 'replacedAt'])
export class MessageEditEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'message_id', type: 'uuid' })
  @ForeignKey('MessageEntity', { name: 'FK_message_edits_message', onDelete: 'CASCADE' })
  messageId!: string;

  @Column({ type: 'text' })
  content!: string;

  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  mentions!: string[];

  /** The message's version while it had this content. */
  @Column({ type: 'bigint', transformer: bigintToNumber })
  version!: number;

  @Column({ name: 'replaced_at', type: 'timestamptz', default: () => 'now()' })
  replacedAt!: Date;
}
