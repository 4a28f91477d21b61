import { IsBoolean, IsString, Length } from 'class-validator';

/** Socket `typing`: forwarded to the other participants, never stored. */
export class TypingDto {
  /** A conversation id, a group id, or the peer's user id. */
  @IsString()
  @Length(1, 64)
  conversationID!: string;

  @IsBoolean()
  isTyping!: boolean;
}
