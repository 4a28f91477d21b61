import { expect } from 'expect';
import { after, before, describe, it } from 'node:test';
import type { Message } from '../libs/contracts/src';
import { sendHttp } from './utils/api';
import type { RegisteredUser } from './utils/factories';
import { PlainWsClient } from './utils/plain-ws-client';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { connectSocket, type TestSocket, waitForEvent } from './utils/ws-client';

/** Messages waiting for the recipient before it connects: a catch-up long enough to overlap sends. */
const BACKLOG = 60;
/** Sends in flight at once while the recipient connects. */
const IN_FLIGHT = 4;

/**
 * SPEC 5: on connect, `connected`, then every unconfirmed message in seq order per conversation. The
 * sender keeps sending while the recipient connects, so messages are committed during its catch-up:
 * they must follow the backlog, never overtake it, and never come twice.
 */
describe('catch-up order: a reconnect while messages keep coming', () => {
  let app: TestApp;

  before(async () => {
    app = await createTestApp();
  });

  after(async () => {
    await app.close();
  });

  /**
   * Sends the backlog, then keeps IN_FLIGHT sends going while `connect` runs and until `enough`
   * says so; returns every message sent, in seq order.
   */
  async function sendAround(
    sender: RegisteredUser,
    recipient: RegisteredUser,
    connect: () => Promise<void>,
    enough: () => boolean,
  ): Promise<Message[]> {
    const sent: Message[] = [];
    for (let i = 0; i < BACKLOG; i += 1) {
      sent.push(
        await sendHttp(app, sender, { recipientID: recipient.id, content: `backlog ${i}` }),
      );
    }
    let stop = false;
    const lane = async (lane: number): Promise<void> => {
      for (let i = 0; !stop && i < 500; i += 1) {
        const content = `live ${lane}.${i}`;
        sent.push(await sendHttp(app, sender, { recipientID: recipient.id, content }));
      }
    };
    const lanes = Array.from({ length: IN_FLIGHT }, (_, index) => lane(index));
    await connect();
    while (!enough()) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    stop = true;
    await Promise.all(lanes);
    return sent.sort((a, b) => a.seq - b.seq);
  }

  it('should push the backlog first and what was sent meanwhile after it, over Socket.IO', async () => {
    const [alice, bob] = await Promise.all([
      signedInUser(app.app, 'order-a'),
      signedInUser(app.app, 'order-b'),
    ]);
    const received: number[] = [];
    let caughtUp = -1;
    let socket: TestSocket | undefined;
    try {
      const sent = await sendAround(
        alice,
        bob,
        async () => {
          socket = await connectSocket(app.baseUrl, bob.accessToken, {
            setup: (s) => {
              s.on('message', (m: Message) => received.push(m.seq));
              s.on('caught_up', () => (caughtUp = received.length));
            },
          });
        },
        () => caughtUp >= 0 && received.length >= caughtUp + 20,
      );
      const last = sent[sent.length - 1].seq;
      if (!received.includes(last) && socket) {
        await waitForEvent<Message>(socket, 'message', (m) => m.seq === last);
      }
      expect(received).toEqual(sent.map((m) => m.seq));
      expect(caughtUp).toBeGreaterThanOrEqual(BACKLOG);
    } finally {
      socket?.close();
    }
  });

  it('should push the backlog first and what was sent meanwhile after it, over the plain WebSocket', async () => {
    const [alice, bob] = await Promise.all([
      signedInUser(app.app, 'order-c'),
      signedInUser(app.app, 'order-d'),
    ]);
    let client: PlainWsClient | undefined;
    const messageSeqs = () =>
      (client?.frames ?? [])
        .filter((f) => f.type === 'message')
        .map((f) => (f.data as Message).seq);
    const caughtUpAt = () => (client?.frames ?? []).findIndex((f) => f.type === 'caught_up');
    try {
      const sent = await sendAround(
        alice,
        bob,
        async () => {
          client = await PlainWsClient.connect(app.baseUrl, bob.accessToken);
        },
        () => {
          const at = caughtUpAt();
          return at >= 0 && (client?.frames.length ?? 0) >= at + 20;
        },
      );
      const last = sent[sent.length - 1].seq;
      await client?.event('message', (m) => (m as Message).seq === last);
      expect(messageSeqs()).toEqual(sent.map((m) => m.seq));
      expect(client?.frames[0].type).toBe('connected');
      expect(caughtUpAt()).toBeGreaterThan(BACKLOG);
    } finally {
      client?.close();
    }
  });
});
