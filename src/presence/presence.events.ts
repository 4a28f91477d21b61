import type { PresenceStatus } from '../../libs/contracts/src';

/** Published by PresenceService when a user's presence changes; the realtime layer fans it out. */
export const PRESENCE_EVENTS = {
  changed: 'presence.changed',
} as const;

export interface PresenceChangedEvent {
  userId: string;
  status: PresenceStatus;
  lastSeen: Date | null;
}
