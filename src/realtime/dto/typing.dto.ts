import { IsBoolean, IsString, Length } from 'class-validator';
import type { TypingRequest } from '../../../libs/contracts/src';

/** Socket `typing`: forwarded to the other participants, never stored. */
export class TypingDto implements TypingRequest {
  /** A conversation id, a group id, or the peer's user id. */
  @IsString()
  @Length(1, 64)
  conversationID!: string;

  @IsBoolean()
  isTyping!: boolean;
}
