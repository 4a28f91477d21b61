import {
  type BeforeApplicationShutdown,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { MarkersService } from '../messaging/markers.service';
import { hookLocalBroadcasts } from './adapter-hook';
import { SocketIoGateway } from './socket-io.gateway';

/**
 * Tells messaging the seq of every `message` this instance hands to its sockets. Messages written
 * on another instance reach the sockets here through Socket.IO's adapter, past the app; without
 * this, the first receipt for each (a client confirming more than this instance knew existed) cost
 * a seq read (`MarkersService.markDelivered`).
 */
@Injectable()
export class DeliveredSeqObserver implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private undo: (() => void) | null = null;

  constructor(
    private readonly socketIo: SocketIoGateway,
    private readonly markers: MarkersService,
  ) {}

  /** Socket.IO's server and adapter exist by now (gateways start before bootstrap hooks). */
  onApplicationBootstrap(): void {
    const adapter = this.socketIo.ioServer?.of('/').adapter;
    if (!adapter) {
      return;
    }
    this.undo = hookLocalBroadcasts(adapter, (_rooms, _except, event, payload) => {
      if (event !== 'message' || typeof payload !== 'object' || payload === null) {
        return;
      }
      const { conversationID, seq } = payload as { conversationID?: unknown; seq?: unknown };
      if (typeof conversationID === 'string' && typeof seq === 'number') {
        this.markers.noteDelivered(conversationID, seq);
      }
    });
  }

  beforeApplicationShutdown(): void {
    this.undo?.();
    this.undo = null;
  }
}
