import { ApiDateTime, ApiUuid } from '../../common/http/api-docs';
import { MAX_CONTENT_CODE_POINTS } from './content.rule';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MessageType } from '../../../libs/contracts/src';
import { MessageAttachmentDto } from '../../attachments/dto/attachment.dto';
import { PublicUserDto } from '../../users/dto/user.dto';

export class MessageDto {
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
  @ApiProperty({ enum: ['text', 'image', 'file'], example: 'text' })
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
}

export class UnreadConversationDto {
  @ApiUuid()
  conversationID!: string;
  /** @example 3 */
  unreadCount!: number;
  /** @example 39 */
  lastReadSeq!: number;
  /** @example 42 */
  lastSeq!: number;
}

export class UnreadSummaryDto {
  /** @example 3 */
  total!: number;
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

export class ConversationDto {
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
  unreadCount!: number;
  lastReadSeq!: number;
  /** Time of the last message (or creation). */
  @ApiDateTime()
  updatedAt!: string;
}
