import { IsString, IsUUID, MaxLength } from 'class-validator';
import type {
  EditMessageSocketRequest,
  MessageRef,
  ReactionRequest,
} from '../../../../libs/contracts/src';
import { EditMessageDto } from './edit-message.dto';

/** Socket `delete_message`: the message (the HTTP route takes it from the path). */
export class MessageRefDto implements MessageRef {
  /** @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10 */
  @IsUUID('all', { message: 'messageID must be a UUID' })
  messageID!: string;
}

/** Socket `edit_message`: the PATCH body plus the message. */
export class EditMessageCommandDto extends EditMessageDto implements EditMessageSocketRequest {
  /** @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10 */
  @IsUUID('all', { message: 'messageID must be a UUID' })
  messageID!: string;
}

/** Socket `add_reaction` / `remove_reaction`: the message and the emoji of the HTTP path. */
export class ReactionCommandDto extends MessageRefDto implements ReactionRequest {
  /** One emoji or a :short_name: (checked and normalised by the service). @example 👍 */
  @IsString()
  @MaxLength(64)
  emoji!: string;
}
