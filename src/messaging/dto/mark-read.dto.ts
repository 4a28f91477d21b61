import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class MarkReadDto {
  /** Read up to this seq; default the latest. The marker never moves backwards. @example 42 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq?: number;
}
