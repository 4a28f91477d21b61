import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** One user's reaction with one (normalised) emoji on one message: the primary key makes it unique. */
@Entity({ name: 'message_reactions' })
@Index('IDX_message_reactions_message_time', ['messageId', 'createdAt'])
export class MessageReactionEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  @ForeignKey('MessageEntity', { name: 'FK_message_reactions_message', onDelete: 'CASCADE' })
  messageId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'FK_message_reactions_user', onDelete: 'CASCADE' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  emoji!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;

  /**
   * When this emoji was first used on the message (carried over from the reactions already there),
   * so the order of emoji stays put when their first user takes theirs back.
   */
  @Column({ name: 'emoji_first_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  emojiFirstAt!: Date;
}
