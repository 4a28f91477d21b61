import { Injectable } from '@nestjs/common';
import type { Message, Pagination } from '../../libs/contracts/src';
import { BlocksService } from '../blocks/blocks.service';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/http/keyset-cursor';
import { ConversationAccessService } from '../messaging/conversation-access.service';
import { MessagePresenter } from '../messaging/message-presenter';
import type { SearchMessagesDto } from './dto/search-messages.dto';
import { SearchRepository } from './search.repository';

/** Message search: what the caller can read, newest first, without senders they block. */
@Injectable()
export class SearchService {
  constructor(
    private readonly repository: SearchRepository,
    private readonly access: ConversationAccessService,
    private readonly presenter: MessagePresenter,
    private readonly blocks: BlocksService,
  ) {}

  async search(
    userId: string,
    query: SearchMessagesDto,
  ): Promise<{ messages: Message[]; pagination: Pagination }> {
    const limit = query.limit ?? 20;
    const after = query.cursor !== undefined ? decodeKeysetCursor(query.cursor) : null;
    let conversationId: string | null = null;
    if (query.conversationID !== undefined) {
      // Forbidden / not found exactly as history answers them.
      const access = await this.access.resolve(userId, query.conversationID);
      if (!access) {
        return { messages: [], pagination: { limit, hasMore: false, nextCursor: null } };
      }
      conversationId = access.conversationId;
    }
    const rows = await this.repository.search({
      userId,
      q: query.q,
      conversationId,
      excludedSenderIds: [...(await this.blocks.blockedBy(userId))],
      after,
      limit: limit + 1,
    });
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: await this.presenter.present(page),
      pagination: {
        limit,
        hasMore,
        nextCursor: hasMore && last ? encodeKeysetCursor(last.sort_exact, last.id) : null,
      },
    };
  }
}
