import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Server } from 'socket.io';
import { hookLocalBroadcasts } from '../adapter-hook';
import { isPlainWsUpgrade } from './upgrade-router';
import type { PlainConnection } from './plain-connection';
import { PlainWsHub } from './plain-ws.hub';

function fakeConnection(id: string): PlainConnection & { frames: unknown[] } {
  const frames: unknown[] = [];
  return {
    id,
    frames,
    sendText: (text: string) => frames.push(JSON.parse(text)),
  } as unknown as PlainConnection & { frames: unknown[] };
}

describe('plain WebSocket hub on the Socket.IO adapter', () => {
  it('should deliver what Socket.IO broadcasts to the rooms, minus the excepted connection', () => {
    const server = new Server();
    const hub = new PlainWsHub();
    const adapter = server.of('/').adapter;
    const undo = hookLocalBroadcasts(adapter, (rooms, except, event, payload) =>
      hub.deliver(rooms, except, event, payload),
    );
    hub.useAdapter(adapter);
    const alice = fakeConnection('ws-a');
    const aliceOther = fakeConnection('ws-a2');
    const bob = fakeConnection('ws-b');
    hub.add(alice, ['user:a', 'session:a1']);
    hub.add(aliceOther, ['user:a', 'session:a2']);
    hub.add(bob, ['user:b', 'session:b1']);
    expect(adapter.rooms.get('user:a')).toEqual(new Set(['ws-a', 'ws-a2']));

    server.to(['user:a', 'user:b']).except('ws-a').emit('message', { id: 'm1' });
    server.to('session:a1').emit('error', { code: 'UNAUTHORIZED' });
    void server.in('user:a').fetchSockets();

    expect(alice.frames).toEqual([{ type: 'error', data: { code: 'UNAUTHORIZED' } }]);
    expect(aliceOther.frames).toEqual([{ type: 'message', data: { id: 'm1' } }]);
    expect(bob.frames).toEqual([{ type: 'message', data: { id: 'm1' } }]);

    hub.remove(bob);
    expect(adapter.rooms.has('user:b')).toBe(false);
    server.to('user:b').emit('message', { id: 'm2' });
    expect(bob.frames).toHaveLength(1);
    undo();
    server.to('user:a').emit('message', { id: 'm3' });
    expect(aliceOther.frames).toHaveLength(1);
  });

  it('should route only /ws upgrades without EIO to the plain transport', () => {
    expect(isPlainWsUpgrade('/ws?token=abc')).toBe(true);
    expect(isPlainWsUpgrade('/ws')).toBe(true);
    expect(isPlainWsUpgrade('/ws/?token=abc')).toBe(true);
    expect(isPlainWsUpgrade('/ws/?EIO=4&transport=websocket')).toBe(false);
    expect(isPlainWsUpgrade('/ws?token=a&EIO=4')).toBe(false);
    expect(isPlainWsUpgrade('/wsx?token=a')).toBe(false);
    expect(isPlainWsUpgrade('/api/ws')).toBe(false);
    expect(isPlainWsUpgrade(undefined)).toBe(false);
  });
});
