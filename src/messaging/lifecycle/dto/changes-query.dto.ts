import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `GET /api/conversations/{conversationID}/changes`; the socket's `sync` with `sinceVersion`. */
export class ChangesQueryDto {
  /** The version the client holds (0: everything). @example 41 */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  sinceVersion!: number;

  /** 1-100, default 100. @example 100 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
