import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Validate } from 'class-validator';
import type { EditMessageRequest } from '../../../../libs/contracts/src';
import { ContentRule, MAX_CONTENT_CODE_POINTS } from '../../dto/content.rule';

/** `PATCH /api/messages/{messageID}`; the socket's `edit_message` adds `messageID`. */
export class EditMessageDto implements EditMessageRequest {
  /**
   * The new content: 1-10,000 Unicode code points, no NUL characters.
   * @example Hello again (edited)
   */
  @ApiProperty({ minLength: 1, maxLength: MAX_CONTENT_CODE_POINTS })
  @IsString()
  @Validate(ContentRule)
  content!: string;

  /**
   * Mentioned user ids (<= 50), replacing the previous ones; omitted: the previous ones stay. Only
   * current participants other than the sender are kept.
   * @example ["0f8fad5b-d9cb-469f-a165-70867728950e"]
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true, message: 'each mention must be a user id (UUID)' })
  mentions?: string[];
}
