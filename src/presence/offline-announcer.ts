import type { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import {
  PRESENCE_EVENTS,
  type PresenceChangedEvent,
  type PresenceOfflineEvent,
} from './presence.events';
import type { PresenceStore } from './presence.store';

/**
 * Tells everyone (unless `tell` is false) that these users went offline, waits for `lastSeen` to be persisted (the Users
 * module listens to PRESENCE_EVENTS.offline), then drops their offline records from the store. A
 * failed write keeps the record (it expires by itself), so `lastSeen` is never lost in between.
 */
export async function announceOffline(
  deps: { events: EventEmitter2; store: PresenceStore; logger: Logger; tell?: boolean },
  users: readonly { userId: string; at: Date }[],
): Promise<void> {
  for (const { userId, at } of users) {
    if (deps.tell !== false) {
      const changed: PresenceChangedEvent = { userId, status: 'offline', lastSeen: at };
      deps.events.emit(PRESENCE_EVENTS.changed, changed);
    }
    try {
      const offline: PresenceOfflineEvent = { userId, at };
      await deps.events.emitAsync(PRESENCE_EVENTS.offline, offline);
      await deps.store.forget(userId);
    } catch (error) {
      deps.logger.warn(`Could not record ${userId} going offline: ${String(error)}`);
    }
  }
}
