import { IsInt, IsOptional, Min } from 'class-validator';

export class MarkReadDto {
  /** Read up to this seq; default the latest. The marker never moves backwards. @example 42 */
  @IsOptional()
  @IsInt()
  @Min(0)
  seq?: number;
}
