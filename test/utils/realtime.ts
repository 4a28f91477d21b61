import { expect } from 'expect';
import { io } from 'socket.io-client';
import { emitWithAck, waitForEvent, type TestSocket } from './ws-client';

/** A round trip on the socket: every event the server emitted before it has arrived once this resolves. */
export async function flush(socket: TestSocket): Promise<void> {
  const ack = await emitWithAck(socket, 'ping');
  expect(ack.success).toBe(true);
}

export function closeAll(...sockets: (TestSocket | undefined)[]): void {
  for (const socket of sockets) {
    socket?.close();
  }
}

export interface RecordingSocket {
  socket: TestSocket;
  /** Every payload of the named events, from before the handshake completed. */
  events: Record<string, unknown[]>;
}

/**
 * Connects and records the named events from the very start (catch-up and `connected` are emitted
 * right after the handshake, before a listener added after connecting would exist).
 */
export function connectRecording(
  baseUrl: string,
  token: string,
  names: string[] = ['connected', 'message', 'sync_required', 'caught_up'],
): Promise<RecordingSocket> {
  const socket = io(baseUrl, {
    path: '/ws',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    auth: { token },
  });
  const events: Record<string, unknown[]> = {};
  for (const name of names) {
    events[name] = [];
    socket.on(name, (payload: unknown) => events[name].push(payload));
  }
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, events }));
    socket.once('connect_error', (error: Error) => {
      socket.close();
      reject(error);
    });
  });
}

/**
 * As connectRecording, but a handshake refused for now (`connect_error` UNAVAILABLE with
 * `retryAfterMs`: connect admission) is tried again after the hint plus jitter, as the SDK does, at
 * most `maxRefusals` times. Each refusal is counted in `refusals`.
 */
export async function connectRecordingRetrying(
  baseUrl: string,
  token: string,
  refusals: { count: number },
  maxRefusals = 20,
): Promise<RecordingSocket> {
  for (let refused = 0; ; refused += 1) {
    try {
      return await connectRecording(baseUrl, token);
    } catch (error) {
      const retryAfterMs = (error as { data?: { retryAfterMs?: unknown } }).data?.retryAfterMs;
      if (
        (error as Error).message !== 'UNAVAILABLE' ||
        typeof retryAfterMs !== 'number' ||
        refused >= maxRefusals
      ) {
        throw error;
      }
      refusals.count += 1;
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs + Math.random() * 100));
    }
  }
}

/** Resolves once the socket's connect-time catch-up is over. */
export async function caughtUp(recording: RecordingSocket): Promise<void> {
  if (!recording.events.caught_up?.length) {
    await waitForEvent(recording.socket, 'caught_up');
  }
}
