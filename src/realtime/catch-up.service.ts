import { Injectable, Logger } from '@nestjs/common';
import { Semaphore } from '../common/concurrency/semaphore';
import { MetricsService } from '../metrics/metrics.service';
import { ConversationQueriesService } from '../messaging/conversation-queries.service';
import type { RealtimeConnection } from './realtime.types';

/** Messages pushed per conversation on connect; the rest is paged by the client with `sync`. */
export const CATCH_UP_PAGE = 100;

/** Catch-up queries in flight at once, so a reconnect storm after a deploy queues instead of swamping the pool. */
const CATCH_UP_CONCURRENCY = 8;

/**
 * Offline catch-up: on connect, every message above the user's delivery marker, in seq order per
 * conversation, however long they were away. Past a page per conversation the newest page is pushed
 * and `sync_required {conversationID, after, upTo}` names the range (after, upTo] still to fetch.
 * `caught_up` ends it. The connection has already joined its user room, so a message committed
 * meanwhile arrives live (maybe twice: clients drop duplicates by id). Transport-independent.
 */
@Injectable()
export class CatchUpService {
  private readonly logger = new Logger('CatchUp');
  private readonly gate = new Semaphore(CATCH_UP_CONCURRENCY);

  constructor(
    private readonly queries: ConversationQueriesService,
    private readonly metrics: MetricsService,
  ) {}

  async deliverPending(socket: RealtimeConnection): Promise<void> {
    const { userId } = socket;
    try {
      const pending = await this.gate.run(() =>
        socket.connected
          ? this.queries.pendingDeliveries(userId, CATCH_UP_PAGE)
          : Promise.resolve([]),
      );
      let delivered = 0;
      let syncRequired = 0;
      for (const conversation of pending) {
        if (!socket.connected) {
          return;
        }
        if (conversation.truncated) {
          syncRequired += 1;
          const first = conversation.messages[0];
          socket.send('sync_required', {
            conversationID: conversation.conversationId,
            after: conversation.after,
            upTo: first ? first.seq - 1 : conversation.upTo,
          });
        }
        for (const message of conversation.messages) {
          socket.send('message', message);
        }
        delivered += conversation.messages.length;
      }
      if (delivered) {
        this.metrics.messagesDelivered.inc(delivered);
      }
      socket.send('caught_up', { messages: delivered, syncRequired });
    } catch (error) {
      this.logger.error(`Catch-up for ${userId} failed: ${String(error)}`);
      if (socket.connected) {
        socket.send('error', {
          code: 'INTERNAL',
          message: 'Could not load missed messages; sync each conversation from your last seq',
        });
      }
    }
  }
}
