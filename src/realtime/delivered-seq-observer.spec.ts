import { describe, it } from 'node:test';
import { expect } from 'expect';
import type { MarkersService } from '../messaging/markers.service';
import { DeliveredSeqObserver } from './delivered-seq-observer';
import type { SocketIoGateway } from './socket-io.gateway';

/** The two steps of the in-memory adapter a broadcast ends in, as Socket.IO runs them. */
function fakeAdapter() {
  const adapter = {
    _encode: (packet: unknown) => [JSON.stringify(packet)],
    apply: (_options: unknown, _callback: (socket: unknown) => void) => undefined,
  };
  const broadcast = (event: string, payload: unknown): void => {
    adapter._encode({ type: 2, data: [event, payload] });
    adapter.apply({ rooms: new Set(['u:someone']), except: new Set() }, () => undefined);
  };
  return { adapter, broadcast };
}

describe('DeliveredSeqObserver', () => {
  it('should note the seq of every message the adapter delivers here, and nothing else', () => {
    const { adapter, broadcast } = fakeAdapter();
    const noted: [string, number][] = [];
    const markers = {
      noteDelivered: (conversationId: string, seq: number) => noted.push([conversationId, seq]),
    } as unknown as MarkersService;
    const gateway = { ioServer: { of: () => ({ adapter }) } } as unknown as SocketIoGateway;
    const observer = new DeliveredSeqObserver(gateway, markers);
    observer.onApplicationBootstrap();

    broadcast('message', { conversationID: 'c1', seq: 7, content: 'hi' });
    broadcast('typing', { conversationID: 'c1', userID: 'u', isTyping: true });
    broadcast('message', { conversationID: 'c2' });
    broadcast('message', null);
    expect(noted).toEqual([['c1', 7]]);

    observer.beforeApplicationShutdown();
    broadcast('message', { conversationID: 'c1', seq: 8 });
    expect(noted).toEqual([['c1', 7]]);
  });
});
