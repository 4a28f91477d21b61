import { ApiDateTime, ApiUuid } from '../../common/http/api-docs';
import { MAX_CONTENT_CODE_POINTS } from './content.rule';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageAttachmentDto } from '../../attachments/dto/attachment.dto';
import {
  MESSAGE_TYPES,
  type ConversationSummary,
  type Message,
  type MessageType,
  type ReactionSummary,
  type UnreadConversation,
  type UnreadSummary,
} from '../../../libs/contracts/src';
import { PublicUserDto } from '../../users/dto/user.dto';

export class ReactionDto implements ReactionSummary {
  /** The normalised emoji (NFC, U+FE0F removed) or a :short_name:. @example 👍 */
  @ApiProperty({ maxLength: 64, example: '👍' })
  emoji!: string;
  /** @example 2 */
  count!: number;
  /** Who reacted, in the order they did. */
  @ApiProperty({ type: [String], format: 'uuid', maxLength: 36, maxItems: 100_000 })
  userIDs!: string[];
}

export class MessageDto implements Message {
  /** @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10 */
  @ApiUuid()
  id!: string;
  /** @example 9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b */
  @ApiUuid()
  conversationID!: string;
  /** Position in the conversation: 1, 2, 3 ... with no gaps. @example 42 */
  seq!: number;
  @ApiUuid()
  senderID!: string;
  /** Direct messages: the recipient; group messages: null. */
  @ApiUuid({ nullable: true })
  recipientID!: string | null;
  /** Group messages: the group; direct messages: null. */
  @ApiUuid({ nullable: true })
  groupID!: string | null;
  /** @example Hello, how are you? */
  @ApiProperty({ minLength: 1, maxLength: MAX_CONTENT_CODE_POINTS })
  content!: string;
  @ApiProperty({ enum: MESSAGE_TYPES, example: 'text' })
  messageType!: MessageType;
  @ApiProperty({ type: String, minLength: 1, maxLength: 64, nullable: true })
  clientMessageID!: string | null;
  /** @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  timestamp!: string;
  /** Direct: the recipient received it. Group: every current member other than the sender did. */
  delivered!: boolean;
  /** Direct: the recipient read it. Group: every current member other than the sender did. */
  read!: boolean;
  @ApiPropertyOptional({
    description: 'Group messages: members other than the sender who received it',
  })
  deliveredCount?: number;
  @ApiPropertyOptional({ description: 'Group messages: members other than the sender who read it' })
  readCount?: number;
  /** Files sent with the message, in send order (empty for none). */
  @ApiProperty({ type: [MessageAttachmentDto], maxItems: 10 })
  attachments!: MessageAttachmentDto[];
  /** The conversation's version when this message last changed. @example 57 */
  version!: number;
  /** Null until edited. */
  @ApiDateTime({ nullable: true, example: '2026-01-15T10:31:00.000Z' })
  editedAt!: string | null;
  /** A tombstone: content "", no reactions, mentions or attachments; same id and seq. @example false */
  deleted!: boolean;
  /** The message this one replies to. */
  @ApiUuid({ nullable: true, example: null })
  replyToID!: string | null;
  /** The top message of the thread (null unless a reply). */
  @ApiUuid({ nullable: true, example: null })
  threadRootID!: string | null;
  /** Thread roots: how many replies. @example 0 */
  replyCount!: number;
  /** Thread roots: when the newest reply was sent. */
  @ApiDateTime({ nullable: true, example: null })
  lastReplyAt!: string | null;
  /** Mentioned user ids (current participants other than the sender). */
  @ApiProperty({ type: [String], format: 'uuid', maxLength: 36, maxItems: 50, example: [] })
  mentions!: string[];
  /** Totals per emoji, in order of first use. */
  @ApiProperty({ type: [ReactionDto], maxItems: 50 })
  reactions!: ReactionDto[];
}

export class UnreadConversationDto implements UnreadConversation {
  @ApiUuid()
  conversationID!: string;
  /** @example 3 */
  unreadCount!: number;
  /** @example 39 */
  lastReadSeq!: number;
  /** @example 42 */
  lastSeq!: number;
  /** Live messages above the read marker that mention the caller. @example 1 */
  mentionCount!: number;
}

export class UnreadSummaryDto implements UnreadSummary {
  /** @example 3 */
  total!: number;
  /** Sum of mentionCount. @example 1 */
  mentions!: number;
  conversations!: UnreadConversationDto[];
}

export class ReadMarkerDto {
  @ApiUuid()
  conversationID!: string;
  /** The caller's read marker after the call. @example 42 */
  seq!: number;
  /** @example 0 */
  unreadCount!: number;
}

export class ConversationGroupDto {
  @ApiUuid()
  id!: string;
  @ApiProperty({ minLength: 1, maxLength: 100 })
  name!: string;
  @ApiProperty({ enum: ['public', 'private'] })
  visibility!: 'public' | 'private';
}

export class ConversationDto implements ConversationSummary {
  @ApiUuid()
  id!: string;
  @ApiProperty({ enum: ['direct', 'group'] })
  type!: 'direct' | 'group';
  @ApiPropertyOptional({ type: PublicUserDto, nullable: true })
  peer!: PublicUserDto | null;
  @ApiPropertyOptional({ type: ConversationGroupDto, nullable: true })
  group!: ConversationGroupDto | null;
  @ApiPropertyOptional({ type: MessageDto, nullable: true })
  lastMessage!: MessageDto | null;
  lastSeq!: number;
  /** The conversation's current version (ask `changes` for what moved). @example 57 */
  version!: number;
  unreadCount!: number;
  lastReadSeq!: number;
  /** Time of the last message (or creation). */
  @ApiDateTime()
  updatedAt!: string;
}
