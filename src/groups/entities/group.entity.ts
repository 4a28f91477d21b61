import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  PrimaryGeneratedColumn,
} from 'typeorm';

export type Visibility = 'public' | 'private';

@Entity({ name: 'groups' })
@Check('CHK_groups_visibility', `"visibility" IN ('public', 'private')`)
export class GroupEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 10, default: 'public' })
  visibility!: Visibility;

  @Column({ name: 'created_by', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'FK_groups_creator' })
  createdBy!: string;

  @Column({ name: 'conversation_id', type: 'uuid', unique: true })
  @ForeignKey('ConversationEntity', { name: 'FK_groups_conversation' })
  conversationId!: string;

  @Column({ name: 'member_count', type: 'int', default: 0 })
  memberCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
