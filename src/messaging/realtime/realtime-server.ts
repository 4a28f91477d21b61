import { Injectable } from '@nestjs/common';
import type { AppServer } from './realtime.types';

/**
 * The Socket.IO server, handed over by the gateway once it exists, so the subscribers that push
 * domain events to sockets need not depend on the gateway.
 */
@Injectable()
export class RealtimeServer {
  private current: AppServer | null = null;

  attach(server: AppServer): void {
    this.current = server;
  }

  /** Null before the gateway has started (events then have no sockets to reach). */
  get server(): AppServer | null {
    return this.current;
  }
}
