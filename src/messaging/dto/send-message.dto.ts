import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Validate,
  ValidateIf,
} from 'class-validator';
import type { MessageType } from '../../../libs/contracts/src';
import { ContentRule, MAX_CONTENT_CODE_POINTS } from './content.rule';

export const MESSAGE_TYPES: MessageType[] = ['text', 'image', 'file'];

/** The same body over HTTP (`POST /api/messages/send`) and the socket (`send_message`). */
export class SendMessageDto {
  /**
   * The other user, for a direct message. Exactly one of `recipientID` / `groupID`.
   * @example 0f8fad5b-d9cb-469f-a165-70867728950e
   */
  @ValidateIf(
    (body: SendMessageDto) => body.recipientID !== undefined || body.groupID === undefined,
  )
  @IsUUID('all', {
    message: 'recipientID must be a UUID (give exactly one of recipientID or groupID)',
  })
  recipientID?: string;

  /**
   * The group, for a group message. Exactly one of `recipientID` / `groupID`.
   * @example 7c9e6679-7425-40de-944b-e07fc1f90ae7
   */
  @ValidateIf((body: SendMessageDto) => body.groupID !== undefined)
  @IsUUID('all', { message: 'groupID must be a UUID' })
  groupID?: string;

  /**
   * 1-10,000 Unicode code points; no NUL characters.
   * @example Hello, how are you?
   */
  @ApiProperty({ minLength: 1, maxLength: MAX_CONTENT_CODE_POINTS })
  @IsString()
  @Validate(ContentRule)
  content!: string;

  /**
   * `text` (default), `image` or `file`.
   * @example text
   */
  @IsOptional()
  @IsIn(MESSAGE_TYPES)
  messageType?: MessageType;

  /**
   * Idempotency key chosen by the client (<= 64 characters, no control characters or lone
   * surrogates): a resend with the same key returns the first message instead of storing a second
   * copy.
   * @example 3f1c2d9a-client-42
   */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === null ? undefined : value))
  @IsString()
  @Length(1, 64)
  // Lone surrogates are refused for every string by the input sanity pass; \p{} classes would not
  // survive into the OpenAPI pattern, so control characters are spelled out.
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  @Matches(/^[^\u0000-\u001f\u007f-\u009f]+$/, {
    message: 'clientMessageID must not contain control characters or lone surrogates',
  })
  clientMessageID?: string;
}
