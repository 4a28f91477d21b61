import { describe, it } from 'node:test';
import { expect } from 'expect';
import { RealtimeDelivery, type RealtimeTransport, UserRoomNames } from './delivery';
import { userRoom } from './realtime.types';

describe('UserRoomNames', () => {
  it('should name each user room as userRoom does and stay within its bound', () => {
    const names = new UserRoomNames(3);
    const first = names.of('a');
    expect(first).toBe(userRoom('a'));
    expect(names.of('a')).toBe(first);
    names.of('b');
    names.of('c');
    names.of('d');
    expect(names.size).toBe(3);
    expect(names.of('b')).toBe(userRoom('b'));
    expect(names.size).toBe(3);
  });
});

describe('RealtimeDelivery.toUsers', () => {
  it('should hand every transport the user rooms, in order, with the exception', () => {
    const calls: unknown[][] = [];
    const transport: RealtimeTransport = {
      emitToRooms: (...args: unknown[]) => void calls.push(args),
      disconnectRooms: () => undefined,
    };
    const delivery = new RealtimeDelivery();
    delivery.register(transport);
    delivery.toUsers(
      ['u1', 'u2'],
      'presence',
      { userID: 'u1', status: 'online', lastSeen: null },
      {
        exceptConnection: 'socket-1',
      },
    );
    delivery.toUsers([], 'presence', { userID: 'u1', status: 'online', lastSeen: null });
    expect(calls).toEqual([
      [
        [userRoom('u1'), userRoom('u2')],
        'presence',
        { userID: 'u1', status: 'online', lastSeen: null },
        'socket-1',
      ],
    ]);
  });
});
