import type { Namespace } from 'socket.io';

type Adapter = Namespace['adapter'];
type BroadcastOptions = Parameters<Adapter['broadcast']>[1];

/** Socket.IO's EVENT packet type (socket.io-parser); binary events are never pushed by this server. */
const EVENT_PACKET = 2;

interface Packet {
  type: number;
  data?: unknown;
}

/** The two steps of the in-memory adapter's local broadcast that every adapter ends in. */
interface LocalBroadcastSteps {
  _encode: (this: unknown, packet: Packet, packetOptions: unknown) => unknown;
  apply: (this: unknown, options: BroadcastOptions, callback: (socket: unknown) => void) => void;
}

/** Receives every event the adapter delivers on this instance, with its audience. */
export type LocalBroadcastListener = (
  rooms: ReadonlySet<string>,
  except: ReadonlySet<string>,
  event: string,
  payload: unknown,
) => void;

/** The listeners of each hooked adapter: one wrapper per adapter, however many listen. */
const hooked = new WeakMap<Adapter, Set<LocalBroadcastListener>>();

/** The exceptions of a broadcast that has none (shared: no allocation per delivery). */
const NO_EXCEPTIONS: ReadonlySet<string> = new Set<string>();

/**
 * Sees every event Socket.IO delivers on this instance: plain WebSocket connections share Socket.IO's
 * bus through it, and the seqs of messages written elsewhere are noted with it. Every adapter
 * (in-memory, Redis, node:cluster) ends a broadcast, local or received from another instance, in the
 * in-memory adapter's `broadcast`, which encodes the packet (`_encode`) and then walks the local
 * audience (`apply`).
 * Wrapping those two steps on the instance sees each delivery once, in the adapter's order, with the
 * rooms and exceptions it was sent to; the Socket.IO sockets are served exactly as before.
 * (`fetchSockets`, `disconnectSockets` and the like call `apply` without `_encode` and are ignored.)
 * The adapter is wrapped once, whatever the number of listeners; returns what removes this one.
 */
export function hookLocalBroadcasts(
  adapter: Adapter,
  listener: LocalBroadcastListener,
): () => void {
  const listeners = hooked.get(adapter) ?? new Set<LocalBroadcastListener>();
  if (!hooked.has(adapter)) {
    hooked.set(adapter, listeners);
    wrapLocalBroadcast(adapter, listeners);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Wraps the adapter's two steps once, for good: a listener leaves by being removed from `listeners`,
 * so listeners can leave in any order without unwrapping one another.
 */
function wrapLocalBroadcast(adapter: Adapter, listeners: Set<LocalBroadcastListener>): void {
  const steps = adapter as unknown as LocalBroadcastSteps;
  const encode = steps._encode;
  const apply = steps.apply;
  let pending: Packet | null = null;
  steps._encode = function hookedEncode(this: unknown, packet: Packet, packetOptions: unknown) {
    pending = packet;
    try {
      return encode.call(this, packet, packetOptions);
    } catch (error) {
      pending = null;
      throw error;
    }
  };
  steps.apply = function hookedApply(
    this: unknown,
    options: BroadcastOptions,
    callback: (socket: unknown) => void,
  ) {
    const packet = pending;
    pending = null;
    apply.call(this, options, callback);
    if (listeners.size && packet?.type === EVENT_PACKET && Array.isArray(packet.data)) {
      const [event, payload] = packet.data as unknown[];
      if (typeof event === 'string') {
        const except = options.except ?? NO_EXCEPTIONS;
        for (const listener of listeners) {
          listener(options.rooms, except, event, payload);
        }
      }
    }
  };
}
