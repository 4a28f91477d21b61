import { Injectable } from '@nestjs/common';
import type { ConversationChanges } from '../../../libs/contracts/src';
import { ConversationAccessService } from '../conversation-access.service';
import { MessageLifecycleRepository } from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';

/**
 * The change feed: every message whose version is above what the client holds, in version order,
 * each once in its current state (tombstones too). Served from the messages themselves, so it never
 * expires and has no cap: a client gone for a year pages through it like one gone for a minute.
 */
@Injectable()
export class ChangesService {
  constructor(
    private readonly repository: MessageLifecycleRepository,
    private readonly access: ConversationAccessService,
    private readonly lookup: MessageLookup,
  ) {}

  async changes(
    userId: string,
    ref: string,
    sinceVersion: number,
    limit = 100,
  ): Promise<ConversationChanges> {
    const access = await this.access.require(userId, ref);
    const page = await this.repository.changes(
      access.conversationId,
      sinceVersion,
      access.visibleSeq,
      limit + 1,
    );
    const hasMore = page.rows.length > limit;
    const rows = page.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    return {
      messages: await this.lookup.views(rows),
      version: hasMore && last ? Number(last.version) : Math.max(page.version, sinceVersion),
      hasMore,
    };
  }
}
