import type { PresenceStatus } from '../../libs/contracts/src';

/** Published by the Presence module; the realtime layer fans `changed` out, Users persists `offline`. */
export const PRESENCE_EVENTS = {
  changed: 'presence.changed',
  /**
   * A user went offline at `at`. Emitted with `emitAsync` and awaited: the offline record is dropped
   * from the presence store only once a listener has written `lastSeen` to the database.
   */
  offline: 'presence.offline',
} as const;

export interface PresenceChangedEvent {
  userId: string;
  status: PresenceStatus;
  lastSeen: Date | null;
}

export interface PresenceOfflineEvent {
  userId: string;
  at: Date;
}
