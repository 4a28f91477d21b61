import type { Namespace } from 'socket.io';
import { encodeEvent } from './frame-codec';
import type { PlainConnection } from './plain-connection';

type Adapter = Namespace['adapter'];

const NO_ROOMS: readonly string[] = [];

/**
 * This instance's plain-WebSocket connections, indexed by the same rooms Socket.IO sockets join (the
 * connection's own id, its user's room and its session's room). The rooms are mirrored into the
 * Socket.IO adapter, so broadcasts for them reach this instance (the Redis adapter drops a message
 * for a room it has never heard of) and `except(connectionId)` works as for a socket; what the adapter
 * then delivers locally comes back through `deliver` (see adapter-hook.ts).
 */
export class PlainWsHub {
  private readonly rooms = new Map<string, Set<PlainConnection>>();
  private readonly joined = new Map<PlainConnection, string[]>();
  private adapter: Adapter | null = null;

  get size(): number {
    return this.joined.size;
  }

  connections(): IterableIterator<PlainConnection> {
    return this.joined.keys();
  }

  /** Adopts the Socket.IO adapter and registers the connections already present. */
  useAdapter(adapter: Adapter): void {
    this.adapter = adapter;
    for (const [connection, rooms] of this.joined) {
      void adapter.addAll(connection.id, new Set(rooms));
    }
  }

  add(connection: PlainConnection, rooms: string[]): void {
    const all = [connection.id, ...rooms];
    this.joined.set(connection, all);
    for (const room of all) {
      this.index(connection, room);
    }
    void this.adapter?.addAll(connection.id, new Set(all));
  }

  /** Adds a room to a connection already added (its user room, once its catch-up is out). */
  join(connection: PlainConnection, room: string): void {
    const rooms = this.joined.get(connection);
    if (!rooms || rooms.includes(room)) {
      return;
    }
    rooms.push(room);
    this.index(connection, room);
    void this.adapter?.addAll(connection.id, new Set([room]));
  }

  private index(connection: PlainConnection, room: string): void {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(connection);
  }

  remove(connection: PlainConnection): void {
    const rooms = this.joined.get(connection);
    if (!rooms) {
      return;
    }
    this.joined.delete(connection);
    for (const room of rooms) {
      const members = this.rooms.get(room);
      members?.delete(connection);
      if (members?.size === 0) {
        this.rooms.delete(room);
      }
    }
    this.adapter?.delAll(connection.id);
  }

  /** The local connections in any of `rooms` and in none of `except`. */
  audience(rooms: Iterable<string>, except: Iterable<string> = NO_ROOMS): Set<PlainConnection> {
    const audience = new Set<PlainConnection>();
    let excluded: Set<PlainConnection> | null = null;
    for (const room of except) {
      const members = this.rooms.get(room);
      if (members) {
        excluded ??= new Set();
        for (const connection of members) {
          excluded.add(connection);
        }
      }
    }
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members) {
        for (const connection of members) {
          if (!excluded?.has(connection)) {
            audience.add(connection);
          }
        }
      }
    }
    return audience;
  }

  /** Sends one event to the local connections in `rooms`, encoded once (to UTF-8 bytes, too). */
  deliver(
    rooms: Iterable<string>,
    except: Iterable<string>,
    event: string,
    payload: unknown,
  ): number {
    if (!this.joined.size) {
      // Every Socket.IO broadcast passes here: with no plain connection it costs nothing.
      return 0;
    }
    const audience = this.audience(rooms, except);
    if (!audience.size) {
      return 0;
    }
    const text = encodeEvent(event, payload);
    // One connection: the string as it is; several: its bytes once, not once per connection.
    const frame = audience.size > 1 ? Buffer.from(text) : text;
    for (const connection of audience) {
      connection.sendText(frame);
    }
    return audience.size;
  }
}
