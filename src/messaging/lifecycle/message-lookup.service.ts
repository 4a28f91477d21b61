import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Message } from '../../../libs/contracts/src';
import { AppError } from '../../common/errors/app-error';
import { assertUuid } from '../../common/validation/uuid';
import { ConversationAccessService, type ConversationAccess } from '../conversation-access.service';
import type { MessageRow } from '../message-view';
import { MessagePresenter } from '../message-presenter';
import {
  MESSAGING_EVENTS,
  type MessageDeletedEvent,
  type MessageUpdatedEvent,
} from '../messaging.events';
import { MessageLifecycleRepository, type ChangedMessage } from './message-lifecycle.repository';

export interface ReadableMessage {
  row: MessageRow;
  access: ConversationAccess;
}

/**
 * Shared by the lifecycle use cases: finds a message the caller may read (else NOT_FOUND, or the
 * conversation's FORBIDDEN), shapes messages, and publishes changes after commit.
 */
@Injectable()
export class MessageLookup {
  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly access: ConversationAccessService,
    private readonly presenter: MessagePresenter,
    private readonly events: EventEmitter2,
  ) {}

  /** `active`: the caller must still be a participant (to change anything). */
  async readable(userId: string, messageId: string, active: boolean): Promise<ReadableMessage> {
    assertUuid(messageId, 'messageID');
    const row = await this.repository.findMessage(messageId.toLowerCase());
    if (!row) {
      throw AppError.notFound('Message');
    }
    const access = active
      ? await this.access.requireActive(userId, row.conversation_id)
      : await this.access.require(userId, row.conversation_id);
    if (Number(row.seq) > access.visibleSeq) {
      throw AppError.notFound('Message');
    }
    return { row, access };
  }

  async view(row: MessageRow): Promise<Message> {
    return (await this.presenter.decorate([row]))[0];
  }

  async views(rows: MessageRow[]): Promise<Message[]> {
    return this.presenter.decorate(rows);
  }

  /** After commit: `message_updated` with the whole message to every participant. */
  async publishUpdated(change: ChangedMessage): Promise<Message> {
    const message = await this.view(change.row);
    if (change.changed) {
      const event: MessageUpdatedEvent = { message, participantIds: change.participantIds };
      this.events.emit(MESSAGING_EVENTS.messageUpdated, event);
    }
    return message;
  }

  /** After commit: `message_deleted` to every participant. */
  publishDeleted(change: ChangedMessage): void {
    if (!change.changed) {
      return;
    }
    const event: MessageDeletedEvent = {
      conversationId: change.row.conversation_id,
      id: change.row.id,
      seq: Number(change.row.seq),
      version: Number(change.row.version),
      participantIds: change.participantIds,
    };
    this.events.emit(MESSAGING_EVENTS.messageDeleted, event);
  }
}
