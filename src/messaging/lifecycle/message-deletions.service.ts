import { Injectable } from '@nestjs/common';
import { AttachmentsService } from '../../attachments/attachments.service';
import { AppError } from '../../common/errors/app-error';
import { MessageLifecycleRepository } from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';

/**
 * Deleting: the sender, or an owner or admin of the group. The message becomes a tombstone with the
 * same id and seq (no gap) and the conversation's next version. Deleting a tombstone changes nothing.
 */
@Injectable()
export class MessageDeletionsService {
  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly lookup: MessageLookup,
    private readonly attachments: AttachmentsService,
  ) {}

  async delete(userId: string, messageId: string): Promise<void> {
    const { row } = await this.lookup.readable(userId, messageId, true);
    const change = await this.repository.change(row.conversation_id, row.id, async (locked) => {
      const current = await locked.message(row.id);
      if (!current) {
        throw AppError.notFound('Message');
      }
      if (current.deleted_at !== null) {
        return false;
      }
      if (current.sender_id !== userId) {
        const role = current.group_id ? await locked.groupRole(current.group_id, userId) : null;
        if (role !== 'owner' && role !== 'admin') {
          throw AppError.forbidden('Only the sender or a group owner or admin can delete it');
        }
      }
      await locked.tombstone(current.id, await locked.nextVersion());
      return true;
    });
    this.lookup.publishDeleted(change);
    // After the commit: the tombstone carries no attachments, so their rows and files go (idempotent).
    await this.attachments.removeForMessage(row.id);
  }
}
