import type { Namespace } from 'socket.io';
import { hookLocalBroadcasts } from './adapter-hook';

type Adapter = Namespace['adapter'];

/** Events one hold keeps at most; past it the rest is dropped and the backlog is read again. */
const MAX_HELD_EVENTS = 1_000;

/** The adapter id a hold registers its room under: never a socket's, so nothing is sent to it. */
const holdId = (connectionId: string): string => `catch-up-hold:${connectionId}`;

/** What a connection's user room received while its catch-up was read and sent. */
export interface HeldEvents {
  /** In the order the adapter delivered them. */
  events: [event: string, payload: unknown][];
  /** Some were dropped (past MAX_HELD_EVENTS): the backlog must be read again after joining. */
  overflowed: boolean;
}

interface Hold extends HeldEvents {
  connectionId: string;
  room: string;
  /** Rooms the connection is already in: a broadcast excepting one of them is not for it. */
  memberOf: readonly string[];
}

/**
 * Holds a connecting client's user room while its catch-up is read and sent, so the backlog comes
 * first, in seq order, and what was pushed meanwhile follows it (SPEC 5: on connect, `connected`,
 * then every unconfirmed message in seq order per conversation). Joining the room before the read
 * would push new messages ahead of the backlog; joining after it would lose what was committed in
 * between. So the room is registered in the adapter under a hold id (no socket has it: the adapter
 * delivers nothing to it, but knows the room, so the Redis adapter does not drop broadcasts for it),
 * and every broadcast the adapter delivers on this instance to a held room is copied into the hold
 * (adapter-hook.ts: local and other instances' broadcasts alike). The connection then joins the room
 * and gets the held events in the same turn, so nothing falls between the two.
 */
export class CatchUpHolds {
  private readonly byRoom = new Map<string, Set<Hold>>();
  private adapter: Adapter | null = null;

  /** Hooks the Socket.IO adapter; without it (no server yet) nothing is held. */
  useAdapter(adapter: Adapter): () => void {
    this.adapter = adapter;
    return hookLocalBroadcasts(adapter, (rooms, except, event, payload) => {
      if (!this.byRoom.size) {
        return;
      }
      for (const room of rooms) {
        const holds = this.byRoom.get(room);
        if (!holds) {
          continue;
        }
        for (const hold of holds) {
          if (!hold.memberOf.some((id) => except.has(id))) {
            keep(hold, event, payload);
          }
        }
      }
    });
  }

  /** Whether holds can work (the adapter is there); else the caller joins at once. */
  get active(): boolean {
    return this.adapter !== null;
  }

  open(connectionId: string, room: string, memberOf: readonly string[]): Hold {
    const hold: Hold = { connectionId, room, memberOf, events: [], overflowed: false };
    let holds = this.byRoom.get(room);
    if (!holds) {
      holds = new Set();
      this.byRoom.set(room, holds);
    }
    holds.add(hold);
    void this.adapter?.addAll(holdId(connectionId), new Set([room]));
    return hold;
  }

  /** Ends the hold (call it right after the connection joined the room) and returns what it kept. */
  close(hold: Hold): HeldEvents {
    const holds = this.byRoom.get(hold.room);
    holds?.delete(hold);
    if (holds?.size === 0) {
      this.byRoom.delete(hold.room);
    }
    this.adapter?.delAll(holdId(hold.connectionId));
    return hold;
  }
}

function keep(hold: Hold, event: string, payload: unknown): void {
  if (hold.events.length >= MAX_HELD_EVENTS) {
    hold.overflowed = true;
    return;
  }
  hold.events.push([event, payload]);
}
