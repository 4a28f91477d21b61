import { IsInt, IsOptional, IsString, Length, Max, Min, ValidateIf } from 'class-validator';
import type { SyncRequest } from '../../../libs/contracts/src';

/**
 * Socket `sync`: the messages after `after`, oldest first; or, with `sinceVersion` instead, the
 * messages changed since that version (as `GET /api/conversations/{id}/changes`). Exactly one.
 */
export class SyncDto implements SyncRequest {
  /** A conversation id, a group id, or the peer's user id. */
  @IsString()
  @Length(1, 64)
  conversationID!: string;

  /** The last seq the client has. */
  @ValidateIf((dto: SyncDto) => dto.sinceVersion === undefined || dto.after !== undefined)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  /** The conversation version the client holds. */
  @ValidateIf((dto: SyncDto) => dto.after === undefined || dto.sinceVersion !== undefined)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  sinceVersion?: number;

  /** 1-100, default 100. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
