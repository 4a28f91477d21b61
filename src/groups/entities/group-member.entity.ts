import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type MemberRole = 'owner' | 'admin' | 'member';

/** Current members only: leaving deletes the row (history access is kept on conversation_members). */
@Entity({ name: 'group_members' })
@Index('IDX_group_members_user', ['userId'])
@Index('IDX_group_members_seniority', ['groupId', 'joinedAt', 'userId'])
@Check('CHK_group_members_role', `"role" IN ('owner', 'admin', 'member')`)
export class GroupMemberEntity {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 10 })
  role!: MemberRole;

  @Column({ name: 'joined_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  joinedAt!: Date;
}
