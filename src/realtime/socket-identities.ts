import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { sessionRoom, userRoom } from './realtime.types';

/** What every socket of one login session carries: who it is and the names of its two rooms. */
export interface SocketIdentity {
  readonly user: Readonly<AuthenticatedUser>;
  readonly userRoom: string;
  readonly sessionRoom: string;
}

interface SessionEntry {
  identity: SocketIdentity;
  sockets: number;
}

interface UserEntry {
  userId: string;
  room: string;
  sockets: number;
}

/**
 * One copy per connected session and per connected user of the strings each socket would otherwise
 * hold on its own (memory per connection). Every handshake parses its token into fresh strings, and
 * the adapter keeps each socket's own copy of its room names: ~370 bytes a socket. The sockets of one
 * session (browser tabs sharing a token, reconnects) share one identity, and the sessions of one user
 * (devices) share the user id and user room. An entry lives while a socket holds it: `release` once
 * for each `acquire`, with the `user` it returned.
 */
export class SocketIdentities {
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly users = new Map<string, UserEntry>();

  /** The shared identity for a socket that authenticated as `user`. */
  acquire(user: AuthenticatedUser): SocketIdentity {
    let owner = this.users.get(user.userId);
    if (!owner) {
      owner = { userId: user.userId, room: userRoom(user.userId), sockets: 0 };
      this.users.set(owner.userId, owner);
    }
    owner.sockets += 1;
    const session = this.sessions.get(user.sessionId);
    if (session) {
      const shared = session.identity.user;
      if (shared.userId === user.userId && shared.username === user.username) {
        session.sockets += 1;
        return session.identity;
      }
    }
    const identity: SocketIdentity = {
      user: { userId: owner.userId, sessionId: user.sessionId, username: user.username },
      userRoom: owner.room,
      sessionRoom: sessionRoom(user.sessionId),
    };
    // A token of the same session with other claims (a rename since) gets its own, unshared copy.
    if (!session) {
      this.sessions.set(user.sessionId, { identity, sockets: 1 });
    }
    return identity;
  }

  /** A socket that held `user` (an acquired identity's) closed. */
  release(user: Readonly<AuthenticatedUser>): void {
    const { userId, sessionId } = user;
    const session = this.sessions.get(sessionId);
    if (session?.identity.user === user && --session.sockets === 0) {
      this.sessions.delete(sessionId);
    }
    const owner = this.users.get(userId);
    if (owner && --owner.sockets === 0) {
      this.users.delete(userId);
    }
  }

  /** Sessions and users with a socket here (tests). */
  get size(): { sessions: number; users: number } {
    return { sessions: this.sessions.size, users: this.users.size };
  }
}
