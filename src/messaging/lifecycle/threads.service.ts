import { Injectable } from '@nestjs/common';
import type { Message, Pagination } from '../../../libs/contracts/src';
import type { RepliesQueryDto } from './dto/replies-query.dto';
import { MessageLifecycleRepository } from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';

/** Threads: the replies of the thread a message belongs to (its root's), oldest first. */
@Injectable()
export class ThreadsService {
  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly lookup: MessageLookup,
  ) {}

  async replies(
    userId: string,
    messageId: string,
    query: RepliesQueryDto,
  ): Promise<{ messages: Message[]; pagination: Pagination }> {
    const limit = query.limit ?? 50;
    const { row, access } = await this.lookup.readable(userId, messageId, false);
    const rows = await this.repository.replies(
      row.thread_root_id ?? row.id,
      query.after ?? 0,
      access.visibleSeq,
      limit + 1,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: await this.lookup.views(page),
      pagination: { limit, hasMore, nextCursor: hasMore && last ? Number(last.seq) : null },
    };
  }
}
