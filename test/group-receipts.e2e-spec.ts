import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import { closeAll, flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents, connectSocket, emitWithAck, waitForEvent } from './utils/ws-client';

describe('group delivery receipts', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  before(async () => {
    app = await createTestApp();
    [alice, bob, carol] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
    ]);
  });

  after(async () => {
    await app.close();
  });

  it('should send a delivery receipt to the senders of the covered messages only', async () => {
    const group = await createGroup(app, alice);
    await joinGroup(app, bob, group.id);
    await joinGroup(app, carol, group.id);
    const a = await connectSocket(app.baseUrl, alice.accessToken);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    const c = await connectSocket(app.baseUrl, carol.accessToken);
    try {
      const toCarol = collectEvents<{ userID: string }>(c, 'message_delivered');
      const toBob = collectEvents<{ userID: string }>(b, 'message_delivered');
      const arrived = waitForEvent<Message>(c, 'message');
      const sent = await sendHttp(app, alice, { groupID: group.id, content: 'from alice' });
      await arrived;
      const receipt = waitForEvent<{ conversationID: string; seq: number; userID: string }>(
        a,
        'message_delivered',
      );
      const ack = await emitWithAck(c, 'message_delivered', {
        conversationID: group.conversationID,
        seq: sent.seq,
      });
      expect(ack).toMatchObject({ success: true, data: { seq: sent.seq } });
      expect(await receipt).toMatchObject({
        conversationID: group.conversationID,
        seq: sent.seq,
        userID: carol.id,
      });
      await Promise.all([flush(b), flush(c)]);
      expect(toBob).toEqual([]);
      expect(toCarol).toEqual([]);

      // Bob confirms a range covering Alice's and Carol's messages: both senders hear of it.
      const fromCarol = await sendHttp(app, carol, { groupID: group.id, content: 'from carol' });
      const toAlice = waitForEvent<{ userID: string }>(
        a,
        'message_delivered',
        (e) => e.userID === bob.id,
      );
      const toCarolNow = waitForEvent<{ userID: string }>(
        c,
        'message_delivered',
        (e) => e.userID === bob.id,
      );
      await emitWithAck(b, 'message_delivered', { conversationID: group.id, seq: fromCarol.seq });
      await Promise.all([toAlice, toCarolNow]);
    } finally {
      closeAll(a, b, c);
    }
  });
});
