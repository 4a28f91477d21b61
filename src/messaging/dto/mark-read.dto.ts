import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { MarkConversationReadRequest } from '../../../libs/contracts/src';

export class MarkReadDto implements MarkConversationReadRequest {
  /** Read up to this seq; default the latest. The marker never moves backwards. @example 42 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq?: number;
}
