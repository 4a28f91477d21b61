import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Message, MessageAttachment } from '../../libs/contracts/src';
import { AttachmentsService } from '../attachments/attachments.service';
import { IMAGE_TYPES } from '../attachments/file-inspection';
import { BlocksService } from '../blocks/blocks.service';
import { AppError } from '../common/errors/app-error';
import { RateLimitService } from '../common/rate-limit/rate-limit.service';
import { MetricsService } from '../metrics/metrics.service';
import { ConversationCache } from './conversation-cache';
import { ConversationResolver } from './conversation-resolver';
import type { SendMessageDto } from './dto/send-message.dto';
import { MessageWriter, type PendingSend, type WrittenMessage } from './message-writer.service';
import { toMessage } from './message-view';
import {
  MESSAGING_EVENTS,
  type MessageCreatedEvent,
  type MessageUpdatedEvent,
} from './messaging.events';
import { MessagePresenter } from './message-presenter';

/**
 * Sending: resolves the target (single-flight), checks blocks and attachments, hands the send to the
 * group-commit writer and publishes the stored message after commit. Knows nothing about sockets.
 */
@Injectable()
export class MessageSendingService {
  constructor(
    private readonly writer: MessageWriter,
    private readonly events: EventEmitter2,
    private readonly rateLimits: RateLimitService,
    private readonly metrics: MetricsService,
    private readonly cache: ConversationCache,
    private readonly resolver: ConversationResolver,
    private readonly attachments: AttachmentsService,
    private readonly blocks: BlocksService,
    private readonly presenter: MessagePresenter,
  ) {}
  /** Stores a message (or finds the one with the same clientMessageID) and publishes it. */
  async send(senderId: string, dto: SendMessageDto, originSocketId?: string): Promise<Message> {
    if ((dto.recipientID === undefined) === (dto.groupID === undefined)) {
      throw AppError.validation('Give exactly one of recipientID or groupID', [
        { field: 'recipientID', message: 'give exactly one of recipientID or groupID' },
      ]);
    }
    if (this.rateLimits.isEnabled('messages')) {
      await this.rateLimits.consume('messages', senderId);
    }
    const pending: PendingSend = {
      conversationId: '',
      senderId,
      recipientId: null,
      groupId: null,
      privateGroup: false,
      content: dto.content ?? '',
      messageType: dto.messageType ?? 'text',
      clientMessageId: dto.clientMessageID ?? null,
      replyToId: dto.replyToID?.toLowerCase() ?? null,
      mentions: dto.mentions ? [...new Set(dto.mentions.map((id) => id.toLowerCase()))] : null,
    };
    if (dto.recipientID !== undefined) {
      const recipientId = dto.recipientID.toLowerCase();
      if (recipientId === senderId) {
        throw AppError.validation('You cannot send a direct message to yourself', [
          { field: 'recipientID', message: 'recipientID must be another user' },
        ]);
      }
      // Both answers are cached after a pair's first send: no turn is taken for them then.
      const blockCheck = this.blocks.assertCanMessage(senderId, recipientId);
      if (blockCheck) {
        await blockCheck;
      }
      pending.recipientId = recipientId;
      pending.conversationId =
        this.resolver.knownDirectConversationId(senderId, recipientId) ??
        (await this.resolver.directConversationId(senderId, recipientId));
    } else {
      const groupId = (dto.groupID as string).toLowerCase();
      const target = await this.resolver.groupTarget(groupId);
      pending.groupId = groupId;
      pending.conversationId = target.conversationId;
      pending.privateGroup = target.privateGroup;
    }
    const { written, attachments } = await this.writeWithAttachments(pending, dto);
    this.cache.noteSeq(pending.conversationId, Number(written.row.seq));
    this.cache.recordSender(pending.conversationId, Number(written.row.seq), senderId);
    const message = toMessage(written.row, [], attachments);
    if (!written.replay) {
      this.metrics.messagesSent.inc({ kind: pending.groupId ? 'group' : 'direct' });
    }
    const event: MessageCreatedEvent = {
      message,
      recipientIds: written.recipientIds,
      senderId,
      originSocketId,
      committedAt: written.committedAt,
      replay: written.replay,
    };
    this.events.emit(MESSAGING_EVENTS.messageCreated, event);
    if (written.root) {
      const root = (await this.presenter.decorate([written.root]))[0];
      const updated: MessageUpdatedEvent = {
        message: root,
        participantIds: [senderId, ...written.recipientIds],
      };
      this.events.emit(MESSAGING_EVENTS.messageUpdated, updated);
    }
    return written.replay ? (await this.presenter.decorate([written.row]))[0] : message;
  }

  /**
   * Claims the attachments for a message id chosen now, writes, and releases the claim if the send is
   * refused, fails, or turns out to be a replay of an earlier message.
   */
  private async writeWithAttachments(
    pending: PendingSend,
    dto: SendMessageDto,
  ): Promise<{ written: WrittenMessage; attachments: MessageAttachment[] }> {
    if (!dto.attachmentIDs?.length) {
      return { written: await this.writer.write(pending), attachments: [] };
    }
    pending.messageId = randomUUID();
    const attachments = await this.attachments.claimForMessage(
      pending.senderId,
      dto.attachmentIDs,
      pending.messageId,
      pending.clientMessageId,
    );
    if (dto.messageType === undefined) {
      pending.messageType = attachments.every((a) => IMAGE_TYPES.has(a.contentType))
        ? 'image'
        : 'file';
    }
    let written: WrittenMessage;
    try {
      written = await this.writer.write(pending);
    } catch (error) {
      await this.attachments.releaseClaim(pending.messageId);
      throw error;
    }
    if (written.row.id !== pending.messageId) {
      await this.attachments.releaseClaim(pending.messageId);
      return { written, attachments: [] };
    }
    return { written, attachments };
  }
}
