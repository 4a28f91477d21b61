import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInt } from '../../common/http/query-int';

export class HistoryQueryDto {
  /** 1-100, default 50. @example 50 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Only messages with a smaller seq (page towards older). @example 151 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  before?: number;

  /** Only messages with a greater seq, oldest first (page towards newer). @example 100 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  /** Skip this many messages (for clients of the original brief). @example 0 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}
