import { Injectable } from '@nestjs/common';
import type {
  ConversationSummary,
  Message,
  Pagination,
  UnreadSummary,
} from '../../libs/contracts/src';
import { PresenceService } from '../presence/presence.service';
import { ConversationAccessService } from './conversation-access.service';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/http/keyset-cursor';
import type { HistoryQueryDto } from './dto/history-query.dto';
import { DeliveryMarkerBuffer } from './marker.service';
import { MessagePresenter } from './message-presenter';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';
import { ConversationsRepository } from './repositories/conversations.repository';
import { MessagesRepository } from './repositories/messages.repository';

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
 * Reading: history pages, `sync`, unread counts, the conversation list and connect-time catch-up
 * (what a user has not confirmed yet).
 */
@Injectable()
export class ConversationQueriesService {
  constructor(
    private readonly conversationsRepository: ConversationsRepository,
    private readonly members: ConversationMembersRepository,
    private readonly messages: MessagesRepository,
    private readonly access: ConversationAccessService,
    private readonly deliveries: DeliveryMarkerBuffer,
    private readonly presence: PresenceService,
    private readonly presenter: MessagePresenter,
  ) {}
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
    const rows = await this.messages.page(
      access.conversationId,
      { after: lower, upTo: upper, ascending },
      limit + 1,
      query.offset ?? 0,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: await this.presenter.decorate(page),
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
    const conversations = (await this.members.unread(userId)).map((row) => {
      const lastSeq = row.visibleSeq;
      const lastReadSeq = Math.min(row.lastReadSeq, lastSeq);
      return {
        conversationID: row.conversationId,
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        lastSeq,
        mentionCount: row.mentionCount,
      };
    });
    return {
      total: conversations.reduce((sum, c) => sum + c.unreadCount, 0),
      mentions: conversations.reduce((sum, c) => sum + c.mentionCount, 0),
      conversations,
    };
  }

  /**
   * Of a batch of connecting users, those who may have messages to catch up (a superset: delivery
   * receipts not yet written count as pending here); only they need `pendingDeliveries`.
   */
  usersWithPendingDeliveries(userIds: readonly string[]): Promise<Set<string>> {
    return this.members.usersWithUndelivered(userIds);
  }

  /**
   * Catch-up on connect: per conversation, the messages above the user's delivery marker (capped at
   * where they left a group), oldest first; past `perConversationLimit`, the newest page.
   */
  async pendingDeliveries(
    userId: string,
    perConversationLimit = 100,
  ): Promise<PendingConversation[]> {
    const wanted = (await this.members.undelivered(userId))
      .map((mark) => ({
        conversationId: mark.conversationId,
        after: Math.max(mark.after, this.deliveries.recordedSeq(mark.conversationId, userId)),
        upTo: mark.upTo,
      }))
      .filter((mark) => mark.upTo > mark.after);
    if (!wanted.length) {
      return [];
    }
    const rows = await this.messages.newestInRanges(wanted, perConversationLimit);
    const messages = await this.presenter.decorate(rows.filter((row) => row.sender_id !== userId));
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

  async conversations(
    userId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: ConversationSummary[]; pagination: Pagination }> {
    const after = cursor !== undefined ? decodeKeysetCursor(cursor) : null;
    const rows = await this.conversationsRepository.listForUser(userId, after, limit + 1);
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const lastMessages = await this.presenter.decorate(
      page.flatMap((row) => (row.lastMessage ? [row.lastMessage] : [])),
    );
    const byConversation = new Map(lastMessages.map((m) => [m.conversationID, m]));
    const presence = await this.presence.getPresence(
      page.flatMap((row) => (row.peerId ? [row.peerId] : [])),
    );
    const items: ConversationSummary[] = page.map((row) => {
      const lastSeq = row.visibleSeq;
      const lastReadSeq = Math.min(row.lastReadSeq, lastSeq);
      const live = row.peerId ? presence.get(row.peerId) : undefined;
      const lastSeen = live?.lastSeen ?? row.peerLastSeen;
      return {
        id: row.conversationId,
        type: row.type,
        peer:
          row.peerId && row.peerUsername
            ? {
                id: row.peerId,
                username: row.peerUsername,
                status: live?.status ?? 'offline',
                lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
              }
            : null,
        group:
          row.groupId && row.groupName && row.groupVisibility
            ? { id: row.groupId, name: row.groupName, visibility: row.groupVisibility }
            : null,
        lastMessage: byConversation.get(row.conversationId) ?? null,
        lastSeq,
        version: row.version,
        unreadCount: lastSeq - lastReadSeq,
        lastReadSeq,
        updatedAt: new Date(row.sortAt).toISOString(),
      };
    });
    const last = page[page.length - 1];
    const nextCursor =
      hasMore && last ? encodeKeysetCursor(last.sortExact, last.conversationId) : null;
    return { items, pagination: { limit, hasMore, nextCursor } };
  }
}
