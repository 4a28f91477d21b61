import { Check, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** `blockerId` blocks `blockedId`: no direct messages either way, no presence or typing to them. */
@Entity({ name: 'user_blocks' })
@Index('IDX_user_blocks_blocked', ['blockedId'])
@Check('CHK_user_blocks_not_self', `"blocker_id" <> "blocked_id"`)
export class UserBlockEntity {
  @PrimaryColumn({ name: 'blocker_id', type: 'uuid' })
  blockerId!: string;

  @PrimaryColumn({ name: 'blocked_id', type: 'uuid' })
  blockedId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
