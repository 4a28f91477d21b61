/** Published inside the realtime module (by the Socket.IO adapter's scale-out hooks). */
export const REALTIME_EVENTS = {
  /**
   * Broadcasts from other instances may have been missed (the Redis subscriber was down and is back):
   * every transport catches its local connections up from the database.
   */
  broadcastsResumed: 'realtime.broadcasts_resumed',
} as const;
