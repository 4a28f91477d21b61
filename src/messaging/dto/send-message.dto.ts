import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Validate,
  ValidateIf,
} from 'class-validator';
import {
  MESSAGE_TYPES,
  type MessageType,
  type SendMessageRequest,
} from '../../../libs/contracts/src';
import { ContentRule, MAX_CONTENT_CODE_POINTS } from './content.rule';

/** The same body over HTTP (`POST /api/messages/send`) and the socket (`send_message`). */
export class SendMessageDto implements SendMessageRequest {
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
   * 1-10,000 Unicode code points; no NUL characters. May be empty (or left out) with attachments.
   * @example Hello, how are you?
   */
  @ValidateIf((body: SendMessageDto) => body.content !== undefined || !body.attachmentIDs?.length)
  @ApiProperty({ minLength: 0, maxLength: MAX_CONTENT_CODE_POINTS, required: false })
  @IsString()
  @Validate(ContentRule)
  content?: string;

  /**
   * Up to 10 of the sender's uploads (`POST /api/attachments`) not yet attached to a message.
   * @example ["1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"]
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  @ApiProperty({ type: [String], maxItems: 10, required: false, format: 'uuid' })
  attachmentIDs?: string[];

  /**
   * `text` (default; with attachments `image` when all are images, else `file`), `image` or `file`.
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
  // Documented without \p{...} (a Unicode-mode regex most OpenAPI tools cannot run): control
  // characters only; the server also refuses lone surrogates (see the description).
  @ApiProperty({ required: false, pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]+$' })
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

  /**
   * A message of the same conversation the caller can read: this one becomes a reply in its thread
   * (`threadRootID` is that message's thread root, or that message).
   * @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10
   */
  @IsOptional()
  @IsUUID('all', { message: 'replyToID must be a UUID' })
  replyToID?: string;

  /**
   * Mentioned user ids (<= 50). Only current participants other than the sender are kept; others are
   * dropped without an error.
   * @example ["0f8fad5b-d9cb-469f-a165-70867728950e"]
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true, message: 'each mention must be a user id (UUID)' })
  mentions?: string[];
}
