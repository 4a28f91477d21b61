import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import type {
  ConversationSummary,
  Message,
  MessageAttachment,
  Pagination,
  UnreadSummary,
} from '../../libs/contracts/src';
import { AttachmentsService } from '../attachments/attachments.service';
import { IMAGE_TYPES } from '../attachments/file-inspection';
import { BlocksService } from '../blocks/blocks.service';
import { AppError } from '../common/errors/app-error';
import { RateLimitService } from '../common/rate-limit/rate-limit.service';
import { MetricsService } from '../metrics/metrics.service';
import { PresenceService } from '../presence/presence.service';
import { ConversationAccessService, type ConversationAccess } from './conversation-access.service';
import {
  decodeKeysetCursor,
  encodeKeysetCursor,
  exactTimestampSql,
} from '../common/http/keyset-cursor';
import { assertUuid } from '../common/validation/uuid';
import { ConversationCache } from './conversation-cache';
import { ConversationResolver } from './conversation-resolver';
import type { HistoryQueryDto } from './dto/history-query.dto';
import type { SendMessageDto } from './dto/send-message.dto';
import { DeliveryMarkerBuffer } from './marker.service';
import { MessageWriter, type PendingSend, type WrittenMessage } from './message-writer.service';
import {
  MESSAGE_COLUMNS,
  messageColumns,
  toMessage,
  type MessageRow,
  type ParticipantMarkers,
} from './message-view';
import {
  MESSAGING_EVENTS,
  type ConversationMarkerEvent,
  type MessageCreatedEvent,
  type MessageUpdatedEvent,
} from './messaging.events';

export interface HistoryPage {
  messages: Message[];
  pagination: Pagination;
}

export interface PendingConversation {
  conversationId: string;
  /** Oldest first; when truncated, the newest page. */
  messages: Message[];
  /** The caller's delivery marker: everything above it is undelivered. */
  after: number;
  upTo: number;
  truncated: boolean;
}

/**
 * Messages and conversations: sending (through the group-commit writer), history, unread counts and
 * the read/delivery markers. Publishes domain events after commit; knows nothing about sockets.
 */
@Injectable()
export class MessagingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: MessageWriter,
    private readonly access: ConversationAccessService,
    private readonly deliveries: DeliveryMarkerBuffer,
    private readonly events: EventEmitter2,
    private readonly rateLimits: RateLimitService,
    private readonly metrics: MetricsService,
    private readonly presence: PresenceService,
    private readonly cache: ConversationCache,
    private readonly resolver: ConversationResolver,
    private readonly attachments: AttachmentsService,
    private readonly blocks: BlocksService,
  ) {}

  /** Stores a message (or finds the one with the same clientMessageID) and publishes it. */
  async send(senderId: string, dto: SendMessageDto, originSocketId?: string): Promise<Message> {
    if ((dto.recipientID === undefined) === (dto.groupID === undefined)) {
      throw AppError.validation('Give exactly one of recipientID or groupID', [
        { field: 'recipientID', message: 'give exactly one of recipientID or groupID' },
      ]);
    }
    await this.rateLimits.consume('messages', senderId);
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
      await this.blocks.assertCanMessage(senderId, recipientId);
      pending.recipientId = recipientId;
      pending.conversationId = await this.resolver.directConversationId(senderId, recipientId);
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
      const root = (await this.decorate([written.root]))[0];
      const updated: MessageUpdatedEvent = {
        message: root,
        participantIds: [senderId, ...written.recipientIds],
      };
      this.events.emit(MESSAGING_EVENTS.messageUpdated, updated);
    }
    return written.replay ? (await this.decorate([written.row]))[0] : message;
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

  /** Messages as the caller sees them (markers and attachments), for other read paths. */
  async present(rows: MessageRow[]): Promise<Message[]> {
    return this.decorate(rows);
  }

  async history(userId: string, ref: string, query: HistoryQueryDto): Promise<HistoryPage> {
    const limit = query.limit ?? 50;
    const access = await this.access.resolve(userId, ref);
    if (!access) {
      return { messages: [], pagination: { limit, hasMore: false, nextCursor: null } };
    }
    const ascending = query.after !== undefined;
    const upper = Math.min(
      access.visibleSeq,
      query.before !== undefined ? query.before - 1 : Number.MAX_SAFE_INTEGER,
    );
    const lower = query.after ?? 0;
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq ${ascending ? 'ASC' : 'DESC'}
        LIMIT $4 OFFSET $5`,
      [access.conversationId, lower, upper, limit + 1, query.offset ?? 0],
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: await this.decorate(page),
      pagination: {
        limit,
        hasMore,
        nextCursor: hasMore && last ? Number(last.seq) : null,
        offset: query.offset ?? 0,
      },
    };
  }

  /** Socket `sync`: what follows `after`, oldest first. */
  async sync(
    userId: string,
    ref: string,
    after: number,
    limit = 100,
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const page = await this.history(userId, ref, { after, limit });
    return { messages: page.messages, hasMore: page.pagination.hasMore };
  }

  async unread(userId: string): Promise<UnreadSummary> {
    const rows: {
      conversation_id: string;
      last_read_seq: string;
      visible_seq: string;
      mention_count: string;
    }[] = await this.dataSource.query(
      `SELECT m.conversation_id, m.last_read_seq, v.visible_seq,
                (SELECT count(*) FROM messages x
                  WHERE x.conversation_id = m.conversation_id AND x.seq > m.last_read_seq
                    AND x.seq <= v.visible_seq AND x.deleted_at IS NULL
                    AND $1::uuid = ANY(x.mentions)
                    AND NOT EXISTS (SELECT 1 FROM user_blocks b
                                     WHERE b.blocker_id = $1 AND b.blocked_id = x.sender_id)
                ) AS mention_count
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
         CROSS JOIN LATERAL (SELECT LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS visible_seq) v
        WHERE m.user_id = $1
        ORDER BY c.last_message_at DESC NULLS LAST, c.id`,
      [userId],
    );
    const conversations = rows.map((row) => {
      const lastSeq = Number(row.visible_seq);
      const lastReadSeq = Math.min(Number(row.last_read_seq), lastSeq);
      return {
        conversationID: row.conversation_id,
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        lastSeq,
        mentionCount: Number(row.mention_count),
      };
    });
    return {
      total: conversations.reduce((sum, c) => sum + c.unreadCount, 0),
      mentions: conversations.reduce((sum, c) => sum + c.mentionCount, 0),
      conversations,
    };
  }

  /** Moves the read marker (and with it the delivery marker) forward; never backwards. */
  async markRead(
    userId: string,
    ref: string,
    seq?: number,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    const access = await this.access.require(userId, ref);
    return this.advanceRead(userId, access, seq);
  }

  /** `PUT /api/messages/{id}/read`: read up to that message. */
  async markMessageRead(
    userId: string,
    messageId: string,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number; messageID: string }> {
    assertUuid(messageId, 'messageID');
    const rows: { conversation_id: string; seq: string }[] = await this.dataSource.query(
      'SELECT conversation_id, seq FROM messages WHERE id = $1',
      [messageId],
    );
    if (!rows[0]) {
      throw AppError.notFound('Message');
    }
    const access = await this.access.require(userId, rows[0].conversation_id);
    const seq = Number(rows[0].seq);
    if (seq > access.visibleSeq) {
      throw AppError.notFound('Message');
    }
    return { ...(await this.advanceRead(userId, access, seq)), messageID: messageId };
  }

  /** Confirms receipt up to `seq`; coalesced, written within 100 ms. */
  async markDelivered(
    userId: string,
    ref: string,
    seq: number,
  ): Promise<{ conversationID: string; seq: number }> {
    let access = this.cache.getAccess(userId, ref);
    if (!access || (access.active && seq > this.cache.knownSeq(access.conversationId))) {
      // Unknown, or the client claims more than we know exists: ask the database.
      access = await this.cache.loadAccess(userId, ref, () => this.access.require(userId, ref));
    }
    const visible = access.active
      ? Math.max(access.visibleSeq, this.cache.knownSeq(access.conversationId))
      : access.visibleSeq;
    const target = Math.min(seq, visible);
    const known = Math.max(
      access.lastDeliveredSeq,
      access.lastReadSeq,
      this.deliveries.recordedSeq(access.conversationId, userId),
    );
    if (target > known && this.deliveries.advance(access.conversationId, userId, target)) {
      const notifyIds = await this.sendersToNotify(access, userId, known, target);
      if (notifyIds.length) {
        const event: ConversationMarkerEvent = {
          conversationId: access.conversationId,
          userId,
          seq: target,
          at: new Date().toISOString(),
          notifyIds,
        };
        this.events.emit(MESSAGING_EVENTS.conversationDelivered, event);
      }
    }
    return { conversationID: access.conversationId, seq: Math.max(target, known) };
  }

  /**
   * Catch-up on connect: per conversation, the messages above the user's delivery marker (capped at
   * where they left a group), oldest first; past `perConversationLimit`, the newest page.
   */
  async pendingDeliveries(
    userId: string,
    perConversationLimit = 100,
  ): Promise<PendingConversation[]> {
    const marks: { conversation_id: string; after: string; up_to: string }[] =
      await this.dataSource.query(
        `SELECT m.conversation_id, GREATEST(m.last_delivered_seq, m.last_read_seq) AS after,
              LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS up_to
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 AND LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) > GREATEST(m.last_delivered_seq, m.last_read_seq)`,
        [userId],
      );
    const wanted = marks
      .map((mark) => ({
        conversationId: mark.conversation_id,
        after: Math.max(
          Number(mark.after),
          this.deliveries.recordedSeq(mark.conversation_id, userId),
        ),
        upTo: Number(mark.up_to),
      }))
      .filter((mark) => mark.upTo > mark.after);
    if (!wanted.length) {
      return [];
    }
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT msg.* FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS w(conversation_id, after, up_to)
         CROSS JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages
            WHERE conversation_id = w.conversation_id AND seq > w.after AND seq <= w.up_to
            ORDER BY seq DESC LIMIT $4
         ) msg`,
      [
        wanted.map((w) => w.conversationId),
        wanted.map((w) => w.after),
        wanted.map((w) => w.upTo),
        perConversationLimit,
      ],
    );
    const messages = await this.decorate(rows.filter((row) => row.sender_id !== userId));
    return wanted
      .map((w) => ({
        conversationId: w.conversationId,
        after: w.after,
        upTo: w.upTo,
        truncated: w.upTo - w.after > perConversationLimit,
        messages: messages
          .filter((m) => m.conversationID === w.conversationId)
          .sort((a, b) => a.seq - b.seq),
      }))
      .filter((p) => p.messages.length > 0 || p.truncated);
  }

  /** For typing: the caller must be an active participant; returns everyone active in it. */
  async activeParticipantIds(
    userId: string,
    ref: string,
  ): Promise<{ conversationId: string; participantIds: string[] }> {
    let access = this.cache.getAccess(userId, ref);
    if (!access?.active) {
      access = await this.cache.loadAccess(userId, ref, () => this.access.require(userId, ref));
      if (!access.active) {
        throw AppError.forbidden('You are no longer a member of this group');
      }
    }
    return {
      conversationId: access.conversationId,
      participantIds: await this.participantIds(access.conversationId, access.type === 'direct'),
    };
  }

  /** Users who share an active conversation with `userId` (the audience of their presence). */
  async peerIds(userId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT o.user_id FROM conversation_members me
         JOIN conversation_members o ON o.conversation_id = me.conversation_id AND o.user_id <> me.user_id AND o.left_seq IS NULL
        WHERE me.user_id = $1 AND me.left_seq IS NULL`,
      [userId],
    );
    return rows.map((row) => row.user_id);
  }

  async conversations(
    userId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: ConversationSummary[]; pagination: Pagination }> {
    const after = cursor !== undefined ? decodeKeysetCursor(cursor) : null;
    const rows: (MessageRow & {
      c_id: string;
      c_type: 'direct' | 'group';
      c_group_id: string | null;
      c_version: string;
      visible_seq: string;
      last_read_seq: string;
      sort_at: Date;
      sort_exact: string;
      g_name: string | null;
      g_visibility: 'public' | 'private' | null;
      peer_id: string | null;
      peer_username: string | null;
      peer_last_seen: Date | null;
    })[] = await this.dataSource.query(
      `SELECT c.id AS c_id, c.type AS c_type, c.group_id AS c_group_id, c.version AS c_version,
              LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) AS visible_seq, m.last_read_seq,
              COALESCE(c.last_message_at, c.created_at) AS sort_at,
              ${exactTimestampSql('COALESCE(c.last_message_at, c.created_at)')} AS sort_exact,
              g.name AS g_name, g.visibility AS g_visibility,
              p.id AS peer_id, p.username AS peer_username, p.last_seen AS peer_last_seen,
              ${messageColumns('lm')}
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN groups g ON g.id = c.group_id
         LEFT JOIN users p ON c.type = 'direct' AND p.id = CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END
         LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq))
        WHERE m.user_id = $1 AND m.left_seq IS NULL
          AND ($2::timestamptz IS NULL OR (COALESCE(c.last_message_at, c.created_at), c.id) < ($2::timestamptz, $3::uuid))
        ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
        LIMIT $4`,
      [userId, after?.at ?? null, after?.id ?? null, limit + 1],
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const lastMessages = await this.decorate(page.filter((row) => row.id !== null));
    const byConversation = new Map(lastMessages.map((m) => [m.conversationID, m]));
    const presence = await this.presence.getPresence(
      page.flatMap((row) => (row.peer_id ? [row.peer_id] : [])),
    );
    const items: ConversationSummary[] = page.map((row) => {
      const lastSeq = Number(row.visible_seq);
      const lastReadSeq = Math.min(Number(row.last_read_seq), lastSeq);
      const live = row.peer_id ? presence.get(row.peer_id) : undefined;
      const lastSeen = live?.lastSeen ?? row.peer_last_seen;
      return {
        id: row.c_id,
        type: row.c_type,
        peer:
          row.peer_id && row.peer_username
            ? {
                id: row.peer_id,
                username: row.peer_username,
                status: live?.status ?? 'offline',
                lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
              }
            : null,
        group:
          row.c_group_id && row.g_name && row.g_visibility
            ? { id: row.c_group_id, name: row.g_name, visibility: row.g_visibility }
            : null,
        lastMessage: byConversation.get(row.c_id) ?? null,
        lastSeq,
        version: Number(row.c_version),
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        updatedAt: new Date(row.sort_at).toISOString(),
      };
    });
    const last = page[page.length - 1];
    const nextCursor = hasMore && last ? encodeKeysetCursor(last.sort_exact, last.c_id) : null;
    return { items, pagination: { limit, hasMore, nextCursor } };
  }

  private async advanceRead(
    userId: string,
    access: ConversationAccess,
    seq: number | undefined,
  ): Promise<{ conversationID: string; seq: number; unreadCount: number }> {
    const target = Math.min(seq ?? access.visibleSeq, access.visibleSeq);
    const rows: { last_read_seq: string }[] = await this.dataSource.query(
      `UPDATE conversation_members
          SET last_read_seq = GREATEST(last_read_seq, $3), last_delivered_seq = GREATEST(last_delivered_seq, $3)
        WHERE conversation_id = $1 AND user_id = $2
        RETURNING last_read_seq`,
      [access.conversationId, userId, target],
    );
    const now = Number(rows[0]?.last_read_seq ?? target);
    if (now > access.lastReadSeq) {
      await this.publishMarker(MESSAGING_EVENTS.conversationRead, access, userId, now);
    }
    return {
      conversationID: access.conversationId,
      seq: now,
      unreadCount: Math.max(0, access.visibleSeq - now),
    };
  }

  private async publishMarker(
    name: string,
    access: ConversationAccess,
    userId: string,
    seq: number,
  ): Promise<void> {
    const notifyIds = (
      await this.participantIds(access.conversationId, access.type === 'direct')
    ).filter((id) => id !== userId);
    const event: ConversationMarkerEvent = {
      conversationId: access.conversationId,
      userId,
      seq,
      at: new Date().toISOString(),
      notifyIds,
    };
    this.events.emit(name, event);
  }

  /**
   * A delivery receipt goes to the senders of the newly delivered messages (SPEC: "the sender gets
   * message_delivered"), not to every member: in a group of N that keeps receipts at O(N) per
   * message instead of O(N^2).
   */
  private async sendersToNotify(
    access: ConversationAccess,
    userId: string,
    after: number,
    upTo: number,
  ): Promise<string[]> {
    if (access.type === 'direct') {
      return access.peerId ? [access.peerId] : [];
    }
    let senders = this.cache.sendersBetween(access.conversationId, after, upTo);
    if (!senders) {
      const rows: { sender_id: string }[] = await this.dataSource.query(
        `SELECT DISTINCT sender_id FROM messages
          WHERE conversation_id = $1 AND seq > $2 AND seq <= $3`,
        [access.conversationId, after, upTo],
      );
      senders = new Set(rows.map((row) => row.sender_id));
    }
    senders.delete(userId);
    return [...senders];
  }

  private async participantIds(conversationId: string, direct: boolean): Promise<string[]> {
    const cached = this.cache.getParticipants(conversationId);
    if (cached) {
      return cached;
    }
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND left_seq IS NULL',
      [conversationId],
    );
    const ids = rows.map((row) => row.user_id);
    this.cache.setParticipants(conversationId, ids, direct);
    return ids;
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
