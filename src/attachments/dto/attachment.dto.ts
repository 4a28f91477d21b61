import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** An attachment as a message carries it. */
export class MessageAttachmentDto {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b' })
  id!: string;
  /** The uploader's file name, for display only. @example holiday.png */
  @ApiProperty({ maxLength: 255, example: 'holiday.png' })
  filename!: string;
  /** Detected from the bytes; application/octet-stream when unknown. @example image/png */
  @ApiProperty({ maxLength: 127, example: 'image/png' })
  contentType!: string;
  /** Bytes. @example 48213 */
  size!: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Images only', example: 1024 })
  width!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Images only', example: 768 })
  height!: number | null;
}

/** `POST /api/attachments`: the stored upload. */
export class AttachmentDto extends MessageAttachmentDto {
  /** Hex SHA-256 of the bytes. @example 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 */
  @ApiProperty({ minLength: 64, maxLength: 64 })
  sha256!: string;
}

/** The multipart body of `POST /api/attachments` (for the OpenAPI document). */
export class UploadAttachmentDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    maxLength: 5 * 1024 ** 3,
    description: 'The file (one part, named "file"); at most ATTACHMENT_MAX_BYTES (default 25 MiB)',
  })
  file!: unknown;
}
