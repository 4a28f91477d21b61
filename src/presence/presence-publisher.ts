import type { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { PRESENCE_EVENTS, type PresenceChangedEvent } from './presence.events';

/**
 * Presence fan-outs running at once. The peers and blocks of those that start in one event-loop turn
 * are read with one query each (MarkersService.peerIds, BlocksService.blockedBy). Measured on the
 * reconnect-storm bench (10,000 sockets): 64 at once lost to 4 (422-430 vs 518 reconnects/s, up to
 * 899 handshake timeouts): the pushes compete with the handshakes for the one event loop.
 */
export const PRESENCE_FANOUT_CONCURRENCY = 4;

/**
 * Publishes presence changes with a bounded number of fan-outs in flight, so a reconnect storm
 * (thousands of users coming online in a second) queues its fan-out queries instead of filling the
 * database pool that the connects' own session checks and the sends need. A change still waiting
 * is replaced by a newer one of the same user (only the latest state is worth telling), and each
 * user's changes go out in order.
 */
export class PresencePublisher {
  private readonly queue = new Map<string, PresenceChangedEvent>();
  private running = 0;
  /** Users whose fan-out is running: their next change waits for it, so order holds. */
  private readonly busy = new Set<string>();
  /** Changes dropped because a newer one of the same user replaced them (tests count them). */
  coalesced = 0;

  constructor(
    private readonly events: EventEmitter2,
    private readonly logger: Logger,
    private readonly concurrency = PRESENCE_FANOUT_CONCURRENCY,
  ) {}

  publish(event: PresenceChangedEvent): void {
    if (this.queue.has(event.userId)) {
      this.coalesced += 1;
      // Re-inserting keeps the user's place fair: the newest state goes to the back.
      this.queue.delete(event.userId);
    }
    this.queue.set(event.userId, event);
    this.pump();
  }

  /** Forgets a change not yet told (the user went offline since: their peers hear that instead). */
  drop(userId: string): void {
    this.queue.delete(userId);
  }

  /** Changes waiting or being told (0 when idle). */
  get pending(): number {
    return this.queue.size + this.running;
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const next = this.nextReady();
      if (!next) {
        return;
      }
      this.queue.delete(next.userId);
      this.busy.add(next.userId);
      this.running += 1;
      void this.events
        .emitAsync(PRESENCE_EVENTS.changed, next)
        .catch((error: unknown) => {
          this.logger.warn(`Presence fan-out for ${next.userId} failed: ${String(error)}`);
        })
        .finally(() => {
          this.running -= 1;
          this.busy.delete(next.userId);
          this.pump();
        });
    }
  }

  private nextReady(): PresenceChangedEvent | undefined {
    for (const event of this.queue.values()) {
      if (!this.busy.has(event.userId)) {
        return event;
      }
    }
    return undefined;
  }
}
