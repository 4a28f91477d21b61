import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `GET /api/messages/{messageID}/replies`: paged like history, oldest first. */
export class RepliesQueryDto {
  /** 1-100, default 50. @example 50 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Only replies with a greater seq (the previous page's `nextCursor`). @example 0 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;
}
