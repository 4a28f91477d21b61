import { io, type Socket } from 'socket.io-client';

export type TestSocket = Socket;

/** Connects a real socket.io-client to `/ws` and resolves once connected (rejects on connect_error). */
export function connectSocket(
  baseUrl: string,
  token: string | undefined,
  options: {
    viaQuery?: boolean;
    transports?: string[];
    /** Attaches listeners before the handshake, so nothing pushed right after connect is missed. */
    setup?: (socket: TestSocket) => void;
  } = {},
): Promise<TestSocket> {
  const socket = io(baseUrl, {
    path: '/ws',
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    ...(options.viaQuery ? { query: token ? { token } : {} } : { auth: token ? { token } : {} }),
  });
  options.setup?.(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error) => {
      socket.close();
      reject(error);
    });
  });
}

/**
 * connectSocket, resolved once the socket's catch-up is out (`caught_up`): pushes to the user made
 * while it ran are held and follow `caught_up`, so from then on a round trip (`flush`) also covers
 * them.
 */
export async function connectLive(baseUrl: string, token: string): Promise<TestSocket> {
  let live: Promise<unknown> = Promise.resolve();
  const socket = await connectSocket(baseUrl, token, {
    setup: (s) => {
      live = waitForEvent(s, 'caught_up');
    },
  });
  await live;
  return socket;
}

/** Resolves with the next `event` payload that matches `predicate`; rejects after `timeoutMs`. */
export function waitForEvent<T = unknown>(
  socket: TestSocket,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const handler = (payload: T) => {
      if (predicate(payload)) {
        clearTimeout(timer);
        socket.off(event, handler);
        resolve(payload);
      }
    };
    socket.on(event, handler);
  });
}

/** Collects every `event` payload from now on (for asserting that nothing else arrived). */
export function collectEvents<T = unknown>(socket: TestSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

export interface AckResponse<T = unknown> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown[] };
}

/** Emits with an acknowledgement and resolves with the ack (rejects on timeout). */
export async function emitWithAck<T = unknown>(
  socket: TestSocket,
  event: string,
  payload?: unknown,
  timeoutMs = 5_000,
): Promise<AckResponse<T>> {
  return (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as AckResponse<T>;
}

/**
 * The sockets a suite opens, so one `closeAll()` in its `after` hook closes them all (instead of a
 * list and a connect wrapper per suite).
 */
export class OpenSockets {
  private readonly sockets: TestSocket[] = [];

  async connect(
    baseUrl: string,
    token: string,
    options?: Parameters<typeof connectSocket>[2],
  ): Promise<TestSocket> {
    return this.add(await connectSocket(baseUrl, token, options));
  }

  /** Tracks a socket opened some other way; returns it. */
  add(socket: TestSocket): TestSocket {
    this.sockets.push(socket);
    return socket;
  }

  closeAll(): void {
    for (const socket of this.sockets.splice(0)) {
      socket.close();
    }
  }
}
