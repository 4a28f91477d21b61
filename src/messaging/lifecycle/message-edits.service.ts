import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Message } from '../../../libs/contracts/src';
import { AppError } from '../../common/errors/app-error';
import type { RootConfig } from '../../config/configuration';
import type { EditMessageDto } from './dto/edit-message.dto';
import { MessageLifecycleRepository } from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/**
 * Editing: the sender only, within EDIT_WINDOW_SECONDS (0 = always), never a deleted message. The
 * previous content goes to the edit history; the message takes the conversation's next version.
 */
@Injectable()
export class MessageEditsService {
  private readonly windowMs: number;

  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly lookup: MessageLookup,
    config: ConfigService<RootConfig, true>,
  ) {
    this.windowMs = config.get('messages.editWindowSeconds', { infer: true }) * 1000;
  }

  async edit(userId: string, messageId: string, dto: EditMessageDto): Promise<Message> {
    const { row } = await this.lookup.readable(userId, messageId, true);
    const requested = dto.mentions
      ? [...new Set(dto.mentions.map((id) => id.toLowerCase()))].filter((id) => id !== userId)
      : null;
    const change = await this.repository.change(row.conversation_id, row.id, async (locked) => {
      const current = await locked.message(row.id);
      if (!current || current.deleted_at !== null) {
        throw AppError.notFound('Message');
      }
      if (current.sender_id !== userId) {
        throw AppError.forbidden('Only the sender can edit a message');
      }
      if (
        this.windowMs > 0 &&
        Date.now() - new Date(current.created_at).getTime() > this.windowMs
      ) {
        throw AppError.forbidden('The time to edit this message has passed');
      }
      const mentions = await locked.keepParticipants(requested ?? current.mentions ?? []);
      if (current.content === dto.content && sameList(mentions, current.mentions ?? [])) {
        return false;
      }
      await locked.replaceContent(current, dto.content, mentions, await locked.nextVersion());
      return true;
    });
    return this.lookup.publishUpdated(change);
  }
}
