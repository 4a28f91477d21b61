import { Injectable } from '@nestjs/common';
import type { Message } from '../../libs/contracts/src';
import { AttachmentsService } from '../attachments/attachments.service';
import { groupBy } from '../common/collections';
import { DeliveryMarkerBuffer } from './marker.service';
import { toMessage, type MessageRow, type ParticipantMarkers } from './message-view';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';

/**
 * Shapes stored rows for the wire: delivered/read (and group counts) from the participants' markers,
 * attachments. Shared by every use case that answers with messages.
 */
@Injectable()
export class MessagePresenter {
  constructor(
    private readonly members: ConversationMembersRepository,
    private readonly deliveries: DeliveryMarkerBuffer,
    private readonly attachments: AttachmentsService,
  ) {}
  /** Messages as the caller sees them (markers and attachments), for other read paths. */
  async present(rows: MessageRow[]): Promise<Message[]> {
    return this.decorate(rows);
  }

  /** Adds delivered/read (and group counts) from the participants' markers. */
  async decorate(rows: MessageRow[]): Promise<Message[]> {
    if (!rows.length) {
      return [];
    }
    const conversationIds = [...new Set(rows.map((row) => row.conversation_id))];
    // Two independent reads: one round trip's wait instead of two.
    const [markerRows, attachments] = await Promise.all([
      this.members.activeMarkers(conversationIds),
      this.attachments.forMessages(rows.map((row) => row.id)),
    ]);
    const markers = groupBy(
      markerRows,
      (row) => row.conversationId,
      (row): ParticipantMarkers => ({
        userId: row.userId,
        lastDeliveredSeq: Math.max(
          row.lastDeliveredSeq,
          this.deliveries.recordedSeq(row.conversationId, row.userId),
        ),
        lastReadSeq: row.lastReadSeq,
      }),
    );
    return rows.map((row) =>
      toMessage(row, markers.get(row.conversation_id), attachments.get(row.id)),
    );
  }
}
