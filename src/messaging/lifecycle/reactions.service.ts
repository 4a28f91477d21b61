import { Injectable } from '@nestjs/common';
import type { Message } from '../../../libs/contracts/src';
import { AppError } from '../../common/errors/app-error';
import { requireEmoji } from './emoji';
import {
  MessageLifecycleRepository,
  type LockedConversation,
} from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';

/** At most this many distinct emoji on one message. */
export const MAX_DISTINCT_EMOJI = 50;

/**
 * Reactions: one per user per (normalised) emoji, idempotent both ways; each real change takes the
 * conversation's next version and is published as the message with its reaction totals.
 */
@Injectable()
export class ReactionsService {
  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly lookup: MessageLookup,
  ) {}

  async add(userId: string, messageId: string, rawEmoji: string): Promise<Message> {
    const emoji = requireEmoji(rawEmoji);
    return this.react(userId, messageId, async (locked, id) => {
      if (await locked.hasReaction(id, userId, emoji)) {
        return false;
      }
      const use = await locked.emojiUse(id, emoji);
      if (!use.used && use.distinct >= MAX_DISTINCT_EMOJI) {
        throw AppError.conflict(`A message holds at most ${MAX_DISTINCT_EMOJI} distinct emoji`);
      }
      await locked.addReaction(id, userId, emoji, await locked.nextVersion());
      return true;
    });
  }

  async remove(userId: string, messageId: string, rawEmoji: string): Promise<Message> {
    const emoji = requireEmoji(rawEmoji);
    return this.react(userId, messageId, async (locked, id) => {
      if (!(await locked.hasReaction(id, userId, emoji))) {
        return false;
      }
      await locked.removeReaction(id, userId, emoji, await locked.nextVersion());
      return true;
    });
  }

  private async react(
    userId: string,
    messageId: string,
    work: (locked: LockedConversation, id: string) => Promise<boolean>,
  ): Promise<Message> {
    const { row } = await this.lookup.readable(userId, messageId, true);
    const change = await this.repository.change(row.conversation_id, row.id, async (locked) => {
      const current = await locked.message(row.id);
      if (!current || current.deleted_at !== null) {
        throw AppError.notFound('Message');
      }
      return work(locked, current.id);
    });
    return this.lookup.publishUpdated(change);
  }
}
