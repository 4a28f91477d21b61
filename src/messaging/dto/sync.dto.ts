import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { SyncRequest } from '../../../libs/contracts/src';

/** Socket `sync`: the messages after `after`, oldest first. */
export class SyncDto implements SyncRequest {
  /** A conversation id, a group id, or the peer's user id. */
  @IsString()
  @Length(1, 64)
  conversationID!: string;

  /** The last seq the client has. */
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after!: number;

  /** 1-100, default 100. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
