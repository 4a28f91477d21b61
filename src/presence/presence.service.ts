import { Injectable } from '@nestjs/common';
import type { PresenceStatus } from '../../libs/contracts/src';

export interface LivePresence {
  status: PresenceStatus;
  /** Set while the user is connected or was seen recently by this service; null defers to the database. */
  lastSeen: Date | null;
}

/**
 * Live presence of users. This first version knows no sockets yet: everyone is offline and lastSeen
 * comes from the database. The realtime layer replaces the internals, not the API.
 */
@Injectable()
export class PresenceService {
  // eslint-disable-next-line @typescript-eslint/require-await
  async getPresence(userIds: readonly string[]): Promise<Map<string, LivePresence>> {
    return new Map(userIds.map((id) => [id, { status: 'offline', lastSeen: null }]));
  }
}
