import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { QueryInt } from '../../common/http/query-int';

export class ListMembersDto {
  /** 1-100, default 50. @example 50 */
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /**
   * Opaque: the `nextCursor` of the previous page. Omit for the first page.
   * @example MjAyNi0wMS0xNVQxMDozMDowMC4xMjM0NTZafDBmOGZhZDViLWQ5Y2ItNDY5Zi1hMTY1LTcwODY3NzI4OTUwZQ
   */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
