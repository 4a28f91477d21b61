import { Socket as NetSocket } from 'node:net';
import { expect } from 'expect';
import { after, before, describe, it } from 'node:test';
import type { TypingEvent } from '../libs/contracts/src';
import { RealtimeDelivery } from '../src/realtime/delivery';
import type { RegisteredUser } from './utils/factories';
import { PlainWsClient } from './utils/plain-ws-client';
import { caughtUp, connectRecording, flush } from './utils/realtime';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents } from './utils/ws-client';

const FRAMES = 6;

/**
 * Counts the write system calls (`_write` / `_writev` of net.Socket) made on the server's side of
 * its connections (local port = the app's) while `act` runs and until `settled` resolves.
 */
async function countServerWrites(
  port: number,
  act: () => void,
  settled: () => Promise<void>,
): Promise<number> {
  const proto = NetSocket.prototype as unknown as Record<
    '_write' | '_writev',
    (...args: unknown[]) => unknown
  >;
  const original = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: NetSocket, ...args: unknown[]) {
      if (this.localPort === port) {
        writes += 1;
      }
      return original[name].apply(this, args);
    };
  }
  try {
    act();
    await settled();
  } finally {
    proto._write = original._write;
    proto._writev = original._writev;
  }
  return writes;
}

function typing(index: number): TypingEvent {
  return { conversationID: `c-${index}`, userID: 'u', isTyping: true };
}

/** FRAMES events to one user in one synchronous run, as a group commit's fan-out makes. */
function burstTo(delivery: RealtimeDelivery, userId: string): void {
  for (let index = 0; index < FRAMES; index += 1) {
    delivery.toUsers([userId], 'typing', typing(index));
  }
}

describe('realtime: frames to one connection in one event-loop turn leave in one write', () => {
  let app: TestApp;
  let bob: RegisteredUser;
  let port: number;

  before(async () => {
    app = await createTestApp();
    bob = await signedInUser(app.app, 'bob');
    port = Number(new URL(app.baseUrl).port);
  });

  after(async () => {
    await app.close();
  });

  it('should write a burst of Socket.IO events to one socket with one system call, in order', async () => {
    const recording = await connectRecording(app.baseUrl, bob.accessToken);
    const socket = recording.socket;
    try {
      await caughtUp(recording);
      await flush(socket);
      const received = collectEvents<TypingEvent>(socket, 'typing');
      const delivery = app.app.get(RealtimeDelivery);
      const writes = await countServerWrites(
        port,
        () => burstTo(delivery, bob.id),
        async () => {
          while (received.length < FRAMES) {
            await new Promise((resolve) => socket.once('typing', resolve));
          }
        },
      );
      expect(received.map((event) => event.conversationID)).toEqual(
        Array.from({ length: FRAMES }, (_, index) => `c-${index}`),
      );
      expect(writes).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('should write a burst of plain WebSocket frames to one connection with one system call, in order', async () => {
    const client = await PlainWsClient.connect(app.baseUrl, bob.accessToken);
    try {
      await client.next((frame) => frame.type === 'connected', 'connected');
      await client.next((frame) => frame.type === 'caught_up', 'caught_up');
      const delivery = app.app.get(RealtimeDelivery);
      const writes = await countServerWrites(
        port,
        () => burstTo(delivery, bob.id),
        async () => {
          for (let index = 0; index < FRAMES; index += 1) {
            const frame = await client.next((f) => f.type === 'typing', `typing ${index}`);
            expect((frame.data as TypingEvent).conversationID).toBe(`c-${index}`);
          }
        },
      );
      expect(writes).toBe(1);
    } finally {
      client.socket.close();
    }
  });
});
