import { expect } from 'expect';
import { after, before, describe, it } from 'node:test';
import type {
  GroupMemberEvent,
  Message,
  MessageDeliveredEvent,
  MessageReadEvent,
  SyncRequiredEvent,
  SyncResult,
} from '../libs/contracts/src';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import { caughtUp, closeAll, connectRecording, flush } from './utils/realtime';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { collectEvents, connectSocket, emitWithAck, waitForEvent } from './utils/ws-client';

describe('realtime: delivery, receipts, groups, catch-up', () => {
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

  it('should push a message sent over HTTP to the recipient, as the REST message', async () => {
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    try {
      const received = waitForEvent<Message>(b, 'message', (m) => m.content === 'over http');
      const sent = await sendHttp(app, alice, { recipientID: bob.id, content: 'over http' });
      expect(await received).toEqual(sent);
    } finally {
      b.close();
    }
  });

  it('should deliver a socket-sent message to every device of both users except the sending socket', async () => {
    const a1 = await connectSocket(app.baseUrl, alice.accessToken);
    const a2 = await connectSocket(app.baseUrl, alice.accessToken);
    const b1 = await connectSocket(app.baseUrl, bob.accessToken);
    const b2 = await connectSocket(app.baseUrl, bob.accessToken);
    try {
      const echoes = collectEvents<Message>(a1, 'message');
      const mine = (m: Message) => m.content === 'over the socket';
      const atA2 = waitForEvent<Message>(a2, 'message', mine);
      const atB1 = waitForEvent<Message>(b1, 'message', mine);
      const atB2 = waitForEvent<Message>(b2, 'message', mine);
      const ack = await emitWithAck<Message>(a1, 'send_message', {
        recipientID: bob.id,
        content: 'over the socket',
        clientMessageID: 'sock-1',
      });
      expect(ack.success).toBe(true);
      const message = ack.data as Message;
      expect(message).toMatchObject({
        senderID: alice.id,
        recipientID: bob.id,
        content: 'over the socket',
      });
      expect(await atA2).toEqual(message);
      expect(await atB1).toEqual(message);
      expect(await atB2).toEqual(message);
      await flush(a1);
      expect(echoes).toEqual([]);

      // A resend with the same clientMessageID returns the first message and delivers it again.
      const again = waitForEvent<Message>(b1, 'message', mine);
      const resend = await emitWithAck<Message>(a1, 'send_message', {
        recipientID: bob.id,
        content: 'over the socket',
        clientMessageID: 'sock-1',
      });
      expect(resend.data?.id).toBe(message.id);
      expect((await again).id).toBe(message.id);
    } finally {
      closeAll(a1, a2, b1, b2);
    }
  });

  it('should tell the sender when the recipient confirms delivery and reads', async () => {
    const a = await connectSocket(app.baseUrl, alice.accessToken);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    try {
      const incoming = waitForEvent<Message>(b, 'message', (m) => m.content === 'receipt me');
      const sent = await sendHttp(app, alice, { recipientID: bob.id, content: 'receipt me' });
      const message = await incoming;

      const delivered = waitForEvent<MessageDeliveredEvent>(a, 'message_delivered');
      const deliveredAck = await emitWithAck(b, 'message_delivered', {
        conversationID: message.conversationID,
        seq: message.seq,
      });
      expect(deliveredAck).toEqual({
        success: true,
        data: { conversationID: sent.conversationID, seq: sent.seq },
      });
      const receipt = await delivered;
      expect(receipt).toMatchObject({
        conversationID: sent.conversationID,
        seq: sent.seq,
        userID: bob.id,
      });
      expect(Number.isNaN(Date.parse(receipt.deliveredAt))).toBe(false);

      const read = waitForEvent<MessageReadEvent>(a, 'message_read');
      // The peer's user id is accepted as the conversation reference too.
      const readAck = await emitWithAck(b, 'mark_read', {
        conversationID: alice.id,
        seq: sent.seq,
      });
      expect(readAck).toMatchObject({
        success: true,
        data: { conversationID: sent.conversationID },
      });
      expect(await read).toMatchObject({
        conversationID: sent.conversationID,
        seq: sent.seq,
        userID: bob.id,
      });
    } finally {
      closeAll(a, b);
    }
  });

  it('should fan group messages out to members, announce joins and leaves, and stop at leaving', async () => {
    const group = await createGroup(app, alice, 'fan-out');
    const a = await connectSocket(app.baseUrl, alice.accessToken);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    const c = await connectSocket(app.baseUrl, carol.accessToken);
    try {
      const bobJoined = waitForEvent<GroupMemberEvent>(
        a,
        'group_member_joined',
        (e) => e.userID === bob.id,
      );
      const joinAck = await emitWithAck(b, 'join_group', { groupID: group.id });
      expect(joinAck).toMatchObject({ success: true, data: { groupID: group.id, userID: bob.id } });
      expect(await bobJoined).toEqual({ groupID: group.id, userID: bob.id });
      const carolJoined = waitForEvent<GroupMemberEvent>(
        b,
        'group_member_joined',
        (e) => e.userID === carol.id,
      );
      await joinGroup(app, carol, group.id);
      await carolJoined;

      const atB = waitForEvent<Message>(b, 'message');
      const atC = waitForEvent<Message>(c, 'message');
      const sent = await sendHttp(app, alice, { groupID: group.id, content: 'hello team' });
      expect(await atB).toEqual(sent);
      expect(await atC).toEqual(sent);
      expect(sent.groupID).toBe(group.id);

      const carolLeft = waitForEvent<GroupMemberEvent>(
        a,
        'group_member_left',
        (e) => e.userID === carol.id,
      );
      const leftAtCarol = waitForEvent<GroupMemberEvent>(c, 'group_member_left');
      const leaveAck = await emitWithAck(c, 'leave_group', { groupID: group.id });
      expect(leaveAck.success).toBe(true);
      await carolLeft;
      expect(await leftAtCarol).toEqual({ groupID: group.id, userID: carol.id });

      const afterLeaving = collectEvents<Message>(c, 'message');
      const typingAtC = collectEvents(c, 'typing');
      const atB2 = waitForEvent<Message>(b, 'message');
      await sendHttp(app, alice, { groupID: group.id, content: 'carol is gone' });
      await atB2;
      expect(
        (await emitWithAck(a, 'typing', { conversationID: group.id, isTyping: true })).success,
      ).toBe(true);
      await flush(c);
      expect(afterLeaving).toEqual([]);
      expect(typingAtC).toEqual([]);
      // And she cannot type into it either.
      const refused = await emitWithAck(c, 'typing', { conversationID: group.id, isTyping: true });
      expect(['FORBIDDEN', 'NOT_FOUND']).toContain(refused.error?.code);
    } finally {
      closeAll(a, b, c);
    }
  });

  it('should deliver missed messages in seq order on reconnect, nothing missing or repeated', async () => {
    const [dan, erin] = await Promise.all([
      signedInUser(app.app, 'dan'),
      signedInUser(app.app, 'erin'),
    ]);
    const sent: Message[] = [];
    for (let i = 1; i <= 12; i += 1) {
      sent.push(await sendHttp(app, dan, { recipientID: erin.id, content: `offline ${i}` }));
    }
    const group = await createGroup(app, dan, 'offline-group');
    await joinGroup(app, erin, group.id);
    const groupSent = [
      await sendHttp(app, dan, { groupID: group.id, content: 'g1' }),
      await sendHttp(app, dan, { groupID: group.id, content: 'g2' }),
    ];

    const first = await connectRecording(app.baseUrl, erin.accessToken);
    await caughtUp(first);
    const received = first.events.message as Message[];
    const direct = received.filter((m) => m.conversationID === sent[0].conversationID);
    expect(direct.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(direct.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
    const inGroup = received.filter((m) => m.groupID === group.id);
    expect(inGroup.map((m) => m.id)).toEqual(groupSent.map((m) => m.id));
    expect(received).toHaveLength(14);
    expect(first.events.sync_required).toEqual([]);
    expect(first.events.connected.length).toBe(1);

    // Unconfirmed: at-least-once, so the next connect gets them again.
    first.socket.close();
    const second = await connectRecording(app.baseUrl, erin.accessToken);
    await caughtUp(second);
    expect((second.events.message as Message[]).map((m) => m.id)).toEqual(
      received.map((m) => m.id),
    );

    // Confirmed: nothing comes back.
    for (const m of [sent[sent.length - 1], groupSent[1]]) {
      const ack = await emitWithAck(second.socket, 'message_delivered', {
        conversationID: m.conversationID,
        seq: m.seq,
      });
      expect(ack.success).toBe(true);
    }
    second.socket.close();
    const third = await connectRecording(app.baseUrl, erin.accessToken);
    await caughtUp(third);
    expect(third.events.message).toEqual([]);
    third.socket.close();
  });

  it('should push the newest page past 100 and name the rest with sync_required, pageable with sync', async () => {
    const [fay, gus] = await Promise.all([
      signedInUser(app.app, 'fay'),
      signedInUser(app.app, 'gus'),
    ]);
    const total = 130;
    const sent: Message[] = [];
    for (let i = 1; i <= total; i += 1) {
      sent.push(await sendHttp(app, fay, { recipientID: gus.id, content: `bulk ${i}` }));
    }
    const conversationID = sent[0].conversationID;
    const { socket, events } = await connectRecording(app.baseUrl, gus.accessToken);
    try {
      await caughtUp({ socket, events });
      expect(events.caught_up).toEqual([{ messages: 100, syncRequired: 1 }]);
      const pushed = events.message as Message[];
      expect(pushed).toHaveLength(100);
      expect(pushed.map((m) => m.seq)).toEqual(sent.slice(total - 100).map((m) => m.seq));
      const [required] = events.sync_required as SyncRequiredEvent[];
      expect(required).toEqual({
        conversationID,
        after: sent[0].seq - 1,
        upTo: sent[total - 101].seq,
      });

      const fetched: Message[] = [];
      let after = required.after;
      for (;;) {
        const page = await emitWithAck<SyncResult>(socket, 'sync', {
          conversationID,
          after,
          limit: 20,
        });
        expect(page.success).toBe(true);
        const messages = page.data!.messages.filter((m) => m.seq <= required.upTo);
        fetched.push(...messages);
        if (
          !page.data!.hasMore ||
          messages.length < page.data!.messages.length ||
          !messages.length
        ) {
          break;
        }
        after = messages[messages.length - 1].seq;
      }
      const all = [...fetched, ...pushed];
      expect(all.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    } finally {
      socket.close();
    }
  });
});

describe('realtime: shutdown', () => {
  it('should tell sockets to reconnect and close them when the app closes', async () => {
    const app = await createTestApp();
    const user = await signedInUser(app.app, 'leaving');
    const socket = await connectSocket(app.baseUrl, user.accessToken);
    const hint = waitForEvent<{ reconnect: boolean; retryAfterMs: number }>(socket, 'shutdown');
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await app.close();
    expect(await hint).toMatchObject({ reconnect: true });
    // A transport close (not an "io server disconnect"), so clients reconnect by themselves.
    expect(await reason).toBe('transport close');
    socket.close();
  });
});
