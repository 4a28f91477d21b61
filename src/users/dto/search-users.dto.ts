import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class SearchUsersDto {
  /** Case-insensitive prefix of the username. @example jo */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  search?: string;

  /** 1-100, default 20. @example 20 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
