import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';

export class SearchMessagesDto {
  /**
   * Words to find (1-200 characters), in web-search syntax: `"quoted phrase"`, `-excluded`, `or`.
   * Case-insensitive, any language.
   * @example "release notes" -draft
   */
  @IsString()
  @Length(1, 200)
  q!: string;

  /** Only this conversation (a conversation id, a group id, or the other user of a direct one). */
  @IsOptional()
  @IsUUID('all')
  conversationID?: string;

  /** 1-100, default 20. @example 20 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
