import { Injectable, Logger } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import type { Message } from '../../libs/contracts/src';
import { Semaphore } from '../common/concurrency/semaphore';
import { TickBatcher } from '../common/concurrency/tick-batcher';
import { MetricsService } from '../metrics/metrics.service';
import {
  ConversationQueriesService,
  type PendingConversation,
} from '../messaging/conversation-queries.service';
import { CatchUpHolds, type HeldEvents } from './catch-up-hold';
import type { RealtimeConnection, ServerEventName, ServerEventPayload } from './realtime.types';

/** Messages pushed per conversation on connect; the rest is paged by the client with `sync`. */
export const CATCH_UP_PAGE = 100;

/** Catch-up queries in flight at once, so a reconnect storm after a deploy queues instead of swamping the pool. */
const CATCH_UP_CONCURRENCY = 8;

/** Users whose catch-up one batch reads at most. */
const CATCH_UP_BATCH = 500;

/** One user's catch-up read, or why it failed (a failure is that user's only). */
type PendingRead = { pending: PendingConversation[] } | { error: unknown };

/**
 * Offline catch-up: on connect, every message above the user's delivery marker, in seq order per
 * conversation, however long they were away. Past a page per conversation the newest page is pushed
 * and `sync_required {conversationID, after, upTo}` names the range (after, upTo] still to fetch.
 * `caught_up` ends it. A new connection joins its user room only once its backlog is out (`connect`):
 * what was pushed to the room meanwhile is held and follows the backlog, without the messages the
 * backlog already carried. Transport-independent.
 */
@Injectable()
export class CatchUpService {
  private readonly logger = new Logger('CatchUp');
  private readonly gate = new Semaphore(CATCH_UP_CONCURRENCY);
  private readonly holds = new CatchUpHolds();
  private readCount = 0;
  /**
   * The connections of one user that connect in the same event-loop turn (a reconnect storm: every
   * device at once) share one read. Never a read that already started: it may predate a
   * connection's joining its rooms, and what was committed in between would reach it by neither path.
   */
  private readonly reads = new TickBatcher<string, PendingRead>((ids) => this.readMany(ids), {
    maxBatch: CATCH_UP_BATCH,
    fallback: { pending: [] },
    joinInFlight: false,
  });

  constructor(
    private readonly queries: ConversationQueriesService,
    private readonly metrics: MetricsService,
  ) {}

  /** The Socket.IO adapter every push goes through: holds watch it (see CatchUpHolds). */
  useAdapter(adapter: Namespace['adapter']): () => void {
    return this.holds.useAdapter(adapter);
  }

  /**
   * A new connection: its backlog first, then its user room. `join` puts it in `room` synchronously
   * (so no push falls between the hold and the room); `memberOf` are the rooms it is already in (a
   * push that excepts one of them is not for it). Without the adapter it joins first, as before.
   */
  async connect(
    connection: RealtimeConnection,
    room: string,
    memberOf: readonly string[],
    join: () => void,
  ): Promise<void> {
    if (!this.holds.active) {
      join();
      await this.deliverPending(connection);
      return;
    }
    const hold = this.holds.open(connection.id, room, memberOf);
    let sent: PendingConversation[] | null = null;
    try {
      sent = await this.deliverPending(connection);
    } finally {
      if (connection.connected) {
        join();
      }
      const held = this.holds.close(hold);
      if (connection.connected) {
        this.sendHeld(connection, held, sent);
      }
    }
  }

  /** Sends the connection its backlog; returns what it sent, or null when it sent nothing. */
  async deliverPending(socket: RealtimeConnection): Promise<PendingConversation[] | null> {
    const { userId } = socket;
    try {
      if (!socket.connected) {
        return null;
      }
      const read = await this.reads.get(userId);
      if ('error' in read) {
        throw read.error;
      }
      const { pending } = read;
      let delivered = 0;
      let syncRequired = 0;
      for (const conversation of pending) {
        if (!socket.connected) {
          return null;
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
      return pending;
    } catch (error) {
      this.logger.error(`Catch-up for ${userId} failed: ${String(error)}`);
      if (socket.connected) {
        socket.send('error', {
          code: 'INTERNAL',
          message: 'Could not load missed messages; sync each conversation from your last seq',
        });
      }
      return null;
    }
  }

  /**
   * What the room received during the catch-up, in order, less the messages the backlog carried.
   * If the hold overflowed, the backlog is read again (clients drop duplicates by id).
   */
  private sendHeld(
    connection: RealtimeConnection,
    held: HeldEvents,
    sent: PendingConversation[] | null,
  ): void {
    let sentIds: Set<string> | null = null;
    for (const [event, payload] of held.events) {
      if (event === 'message' && sent?.length) {
        sentIds ??= new Set(sent.flatMap((conversation) => conversation.messages.map((m) => m.id)));
        if (sentIds.has((payload as Message).id)) {
          continue;
        }
      }
      connection.send(event as ServerEventName, payload as ServerEventPayload<ServerEventName>);
    }
    if (held.overflowed) {
      void this.deliverPending(connection);
    }
  }

  /** Per-user catch-up reads run so far, only for users with something pending (tests count them). */
  get readsStarted(): number {
    return this.readCount;
  }

  /** One query finds who has anything pending; only those get their own read. */
  private async readMany(userIds: readonly string[]): Promise<Map<string, PendingRead>> {
    const withPending = [...(await this.queries.usersWithPendingDeliveries(userIds))];
    const reads = await Promise.all(
      withPending.map((userId) =>
        this.gate.run(async (): Promise<PendingRead> => {
          this.readCount += 1;
          try {
            return { pending: await this.queries.pendingDeliveries(userId, CATCH_UP_PAGE) };
          } catch (error) {
            return { error };
          }
        }),
      ),
    );
    return new Map(withPending.map((userId, index) => [userId, reads[index]]));
  }
}
