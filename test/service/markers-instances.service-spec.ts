import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { ConversationAccessService } from '../../src/messaging/conversation-access.service';
import { MarkersService } from '../../src/messaging/markers.service';
import { MessageSendingService } from '../../src/messaging/message-sending.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertUsers } from '../utils/sql-factories';

/**
 * Delivery receipts on an instance that did not write the messages (the sender is on A, the
 * recipient's socket on B): B learns each conversation's newest seq in one batched read per
 * event-loop turn instead of re-checking access for every receipt, and never accepts more than exists.
 */
describe('MarkersService across two instances', () => {
  let a: ServiceApp;
  let b: ServiceApp;

  before(async () => {
    a = await createServiceApp();
    b = await createServiceApp({ databaseUrl: a.databaseUrl });
  });

  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('should confirm messages written on the other instance, with one seq read per turn for all conversations', async () => {
    const sending = a.app.get(MessageSendingService);
    const markers = b.app.get(MarkersService);
    const senders = await insertUsers(a.db, 5, 'remote-s');
    const [reader] = await insertUsers(a.db, 1, 'remote-r');
    const conversations: string[] = [];
    for (const sender of senders) {
      const first = await sending.send(sender.id, { recipientID: reader.id, content: 'first' });
      conversations.push(first.conversationID);
      // B caches the reader's access with seq 1 as the newest it knows.
      await markers.markDelivered(reader.id, first.conversationID, 1);
    }
    for (const sender of senders) {
      for (let i = 0; i < 3; i += 1) {
        await sending.send(sender.id, { recipientID: reader.id, content: `more ${i}` });
      }
    }
    const readsBefore = markers.seqReads;
    const confirmed = await Promise.all(
      conversations.map((id) => markers.markDelivered(reader.id, id, 4)),
    );
    expect(confirmed.map((c) => c.seq)).toEqual(Array(senders.length).fill(4));
    expect(markers.seqReads - readsBefore).toBe(1);
    // A claim beyond what exists is held to the newest message.
    const claimed = await markers.markDelivered(reader.id, conversations[0], 99);
    expect(claimed.seq).toBe(4);
  });

  it('should confirm a message written on the other instance without a seq read once its delivery was noted', async () => {
    const sending = a.app.get(MessageSendingService);
    const markers = b.app.get(MarkersService);
    const [sender, reader] = await insertUsers(a.db, 2, 'noted');
    const first = await sending.send(sender.id, { recipientID: reader.id, content: 'first' });
    await markers.markDelivered(reader.id, first.conversationID, 1);
    const second = await sending.send(sender.id, { recipientID: reader.id, content: 'second' });
    // What B's adapter hook does when it hands `second` to the reader's socket there.
    markers.noteDelivered(second.conversationID, second.seq);
    const readsBefore = markers.seqReads;
    const confirmed = await markers.markDelivered(reader.id, second.conversationID, second.seq);
    expect(confirmed.seq).toBe(2);
    expect(markers.seqReads).toBe(readsBefore);
  });

  it('should read the peers of users whose presence changes in one turn with one query', async () => {
    const markers = a.app.get(MarkersService);
    const sending = a.app.get(MessageSendingService);
    const [hub, ...spokes] = await insertUsers(a.db, 8, 'peers');
    for (const spoke of spokes) {
      await sending.send(spoke.id, { recipientID: hub.id, content: 'hi' });
    }
    const readsBefore = markers.peerReads;
    const peers = await Promise.all([hub, ...spokes].map((user) => markers.peerIds(user.id)));
    expect(markers.peerReads - readsBefore).toBe(1);
    expect([...peers[0]].sort()).toEqual(spokes.map((s) => s.id).sort());
    expect(peers.slice(1)).toEqual(spokes.map(() => [hub.id]));
  });

  it('should check access for the first receipts of many conversations in one turn with one query, each answered on its own', async () => {
    const sending = a.app.get(MessageSendingService);
    const markers = b.app.get(MarkersService);
    const access = b.app.get(ConversationAccessService);
    const senders = await insertUsers(a.db, 6, 'cold-s');
    const [reader, stranger] = await insertUsers(a.db, 2, 'cold-r');
    const conversations: string[] = [];
    for (const sender of senders) {
      conversations.push(
        (await sending.send(sender.id, { recipientID: reader.id, content: 'cold' })).conversationID,
      );
    }
    // B has never seen these conversations (a cold start): every receipt needs an access check.
    const loadsBefore = access.lookupLoads;
    const [confirmed, refused] = await Promise.all([
      Promise.all(conversations.map((id) => markers.markDelivered(reader.id, id, 1))),
      markers.markDelivered(stranger.id, conversations[0], 1).catch((error: unknown) => error),
    ]);
    expect(access.lookupLoads - loadsBefore).toBe(1);
    expect(confirmed).toEqual(conversations.map((id) => ({ conversationID: id, seq: 1 })));
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
  });
});
