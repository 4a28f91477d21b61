import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

export type MemberRole = 'owner' | 'admin' | 'member';

/** Current members only: leaving deletes the row (history access is kept on conversation_members). */
@Entity({ name: 'group_members' })
@Index('IDX_group_members_user', ['userId'])
@Index('IDX_group_members_seniority', ['groupId', 'joinedAt', 'userId'])
@Index('UQ_group_members_one_owner', ['groupId'], { unique: true, where: `"role" = 'owner'` })
@Check('CHK_group_members_role', `"role" IN ('owner', 'admin', 'member')`)
export class GroupMemberEntity {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  @ForeignKey('GroupEntity', { name: 'FK_group_members_group', onDelete: 'CASCADE' })
  groupId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'FK_group_members_user', onDelete: 'CASCADE' })
  userId!: string;

  @Column({ type: 'varchar', length: 10 })
  role!: MemberRole;

  @Column({ name: 'joined_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  joinedAt!: Date;
}
