import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { UserEntity } from '../../users/entities/user.entity';
import { bigintToNumber } from '../../database/transformers';

/**
 * One upload. `messageId` is set when a send claims it (before the message row exists, hence no
 * foreign key); until then only the uploader can read it, and the sweep deletes it after 24 hours.
 */
@Entity({ name: 'attachments' })
@Index('IDX_attachments_message', ['messageId'], { where: '"message_id" IS NOT NULL' })
@Index('IDX_attachments_unattached', ['createdAt'], { where: '"message_id" IS NULL' })
@Check('CHK_attachments_claim', `("message_id" IS NULL) = ("claimed_at" IS NULL)`)
export class AttachmentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'uploader_id', type: 'uuid' })
  uploaderId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'uploader_id', foreignKeyConstraintName: 'FK_attachments_uploader' })
  uploader?: UserEntity;

  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId!: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt!: Date | null;

  /** Order within the message (the order of `attachmentIDs` on send). */
  @Column({ type: 'smallint', nullable: true })
  position!: number | null;

  /** For display only: never part of a storage path. */
  @Column({ type: 'varchar', length: 255 })
  filename!: string;

  /** Detected from the bytes, never taken from the client. */
  @Column({ name: 'content_type', type: 'varchar', length: 127 })
  contentType!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  size!: number;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ type: 'integer', nullable: true })
  width!: number | null;

  @Column({ type: 'integer', nullable: true })
  height!: number | null;

  @Column({ name: 'storage_key', type: 'varchar', length: 255 })
  storageKey!: string;

  @Column({ name: 'thumbnail_key', type: 'varchar', length: 255, nullable: true })
  thumbnailKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
