import { describe, it } from 'node:test';
import { expect } from 'expect';
import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { SocketIdentities } from './socket-identities';

/** What one handshake's token parse gives: fresh strings every time, as from JSON.parse. */
function parsed(userId: string, sessionId: string, username = 'alice'): AuthenticatedUser {
  return JSON.parse(JSON.stringify({ userId, sessionId, username })) as AuthenticatedUser;
}

describe('SocketIdentities', () => {
  it('should give the sockets of one session one identity, with the room names', () => {
    const identities = new SocketIdentities();
    const first = identities.acquire(parsed('u1', 's1'));
    const second = identities.acquire(parsed('u1', 's1'));
    expect(second).toBe(first);
    expect(first).toEqual({
      user: { userId: 'u1', sessionId: 's1', username: 'alice' },
      userRoom: 'user:u1',
      sessionRoom: 'session:s1',
    });
    expect(identities.size).toEqual({ sessions: 1, users: 1 });
  });

  it("should share the user's id and room between their sessions", () => {
    const identities = new SocketIdentities();
    const phone = identities.acquire(parsed('u1', 's1'));
    const laptop = identities.acquire(parsed('u1', 's2'));
    expect(laptop).not.toBe(phone);
    expect(laptop.userRoom).toBe(phone.userRoom);
    expect(laptop.user.userId).toBe(phone.user.userId);
    expect(laptop.sessionRoom).toBe('session:s2');
    expect(identities.size).toEqual({ sessions: 2, users: 1 });
  });

  it('should forget a session and a user when their last socket is released, not before', () => {
    const identities = new SocketIdentities();
    const a = identities.acquire(parsed('u1', 's1'));
    const b = identities.acquire(parsed('u1', 's1'));
    const c = identities.acquire(parsed('u1', 's2'));
    identities.release(a.user);
    expect(identities.size).toEqual({ sessions: 2, users: 1 });
    identities.release(b.user);
    expect(identities.size).toEqual({ sessions: 1, users: 1 });
    identities.release(c.user);
    expect(identities.size).toEqual({ sessions: 0, users: 0 });
    // Connecting again starts afresh.
    const again = identities.acquire(parsed('u1', 's1'));
    expect(again).not.toBe(a);
    expect(identities.size).toEqual({ sessions: 1, users: 1 });
  });

  it('should not hand a token with other claims the shared identity of its session', () => {
    const identities = new SocketIdentities();
    const before = identities.acquire(parsed('u1', 's1', 'alice'));
    const renamed = identities.acquire(parsed('u1', 's1', 'alicia'));
    expect(renamed).not.toBe(before);
    expect(renamed.user.username).toBe('alicia');
    expect(renamed.userRoom).toBe(before.userRoom);
    // Releasing the unshared copy leaves the shared one held by its socket.
    identities.release(renamed.user);
    expect(identities.size).toEqual({ sessions: 1, users: 1 });
    expect(identities.acquire(parsed('u1', 's1', 'alice'))).toBe(before);
    identities.release(before.user);
    identities.release(before.user);
    expect(identities.size).toEqual({ sessions: 0, users: 0 });
  });
});
