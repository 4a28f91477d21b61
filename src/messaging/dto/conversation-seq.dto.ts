import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import type { ConversationSeq } from '../../../libs/contracts/src';

/** Socket `message_delivered` and `mark_read`: everything up to `seq` in the conversation. */
export class ConversationSeqDto implements ConversationSeq {
  /** A conversation id, a group id, or the peer's user id. */
  @IsString()
  @Length(1, 64)
  conversationID!: string;

  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}
