import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { QueryInt } from '../../common/http/query-int';

/** PostgreSQL text cannot hold NUL: a search with one would fail the query with a 500. */
const NO_NUL = /^[^\0]*$/;

export class SearchUsersDto {
  /** Case-insensitive prefix of the username. @example jo */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(NO_NUL, { message: 'search must not contain NUL characters' })
  search?: string;

  /** 1-100, default 20. @example 20 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
