import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Message } from '../../libs/contracts/src';
import { AttachmentsService } from '../attachments/attachments.service';
import { DeliveryMarkerBuffer } from './marker.service';
import { toMessage, type MessageRow, type ParticipantMarkers } from './message-view';

/**
 * Shapes stored rows for the wire: delivered/read (and group counts) from the participants' markers,
 * attachments. Shared by every use case that answers with messages.
 */
@Injectable()
export class MessagePresenter {
  constructor(
    private readonly dataSource: DataSource,
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
    const markerRows: {
      conversation_id: string;
      user_id: string;
      last_delivered_seq: string;
      last_read_seq: string;
    }[] = await this.dataSource.query(
      `SELECT conversation_id, user_id, last_delivered_seq, last_read_seq FROM conversation_members
          WHERE conversation_id = ANY($1::uuid[]) AND left_seq IS NULL`,
      [conversationIds],
    );
    const attachments = await this.attachments.forMessages(rows.map((row) => row.id));
    const markers = new Map<string, ParticipantMarkers[]>();
    for (const row of markerRows) {
      const list = markers.get(row.conversation_id) ?? [];
      list.push({
        userId: row.user_id,
        lastDeliveredSeq: Math.max(
          Number(row.last_delivered_seq),
          this.deliveries.recordedSeq(row.conversation_id, row.user_id),
        ),
        lastReadSeq: Number(row.last_read_seq),
      });
      markers.set(row.conversation_id, list);
    }
    return rows.map((row) =>
      toMessage(row, markers.get(row.conversation_id), attachments.get(row.id)),
    );
  }
}
