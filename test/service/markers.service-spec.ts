import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { GroupMembershipService } from '../../src/groups/group-membership.service';
import { ConversationQueriesService } from '../../src/messaging/conversation-queries.service';
import { DeliveryMarkerBuffer } from '../../src/messaging/marker.service';
import { MarkersService } from '../../src/messaging/markers.service';
import { MessageSendingService } from '../../src/messaging/message-sending.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertGroup, insertUsers } from '../utils/sql-factories';

describe('MarkersService', () => {
  let service: ServiceApp;
  let markers: MarkersService;
  let queries: ConversationQueriesService;
  let sending: MessageSendingService;

  /** `count` messages from `from` to `to`; returns the conversation id. */
  const sendDirect = async (from: string, to: string, count: number): Promise<string> => {
    let conversationId = '';
    for (let i = 0; i < count; i += 1) {
      conversationId = (await sending.send(from, { recipientID: to, content: `m${i}` }))
        .conversationID;
    }
    return conversationId;
  };

  const storedMarkers = async (conversationId: string, userId: string) =>
    (
      await service.db.query<{ read: string; delivered: string }[]>(
        `SELECT last_read_seq AS read, last_delivered_seq AS delivered FROM conversation_members
          WHERE conversation_id = $1 AND user_id = $2`,
        [conversationId, userId],
      )
    ).map((row) => ({ read: Number(row.read), delivered: Number(row.delivered) }))[0];

  before(async () => {
    service = await createServiceApp();
    markers = service.app.get(MarkersService);
    queries = service.app.get(ConversationQueriesService);
    sending = service.app.get(MessageSendingService);
  });

  after(async () => {
    await service.close();
  });

  describe('read marker', () => {
    it('should move forward only, clamp to the last message and report what stays unread', async () => {
      const [alice, bob] = await insertUsers(service.db, 2, 'read');
      const conversationId = await sendDirect(alice.id, bob.id, 5);
      expect(await markers.markRead(bob.id, conversationId, 3)).toEqual({
        conversationID: conversationId,
        seq: 3,
        unreadCount: 2,
      });
      // Backwards is a no-op, not an error: a late client cannot unread messages, and the answer is
      // the stored marker.
      expect(await markers.markRead(bob.id, conversationId, 1)).toMatchObject({
        seq: 3,
        unreadCount: 2,
      });
      expect(await storedMarkers(conversationId, bob.id)).toEqual({ read: 3, delivered: 3 });
      expect((await queries.unread(bob.id)).total).toBe(2);
      expect(await markers.markRead(bob.id, conversationId, 99)).toMatchObject({
        seq: 5,
        unreadCount: 0,
      });
      // Reading implies delivery.
      expect(await storedMarkers(conversationId, bob.id)).toEqual({ read: 5, delivered: 5 });
    });

    it('should read up to a given message, and refuse one of a conversation the caller is not in', async () => {
      const [alice, bob, eve] = await insertUsers(service.db, 3, 'msgread');
      const first = await sending.send(alice.id, { recipientID: bob.id, content: 'one' });
      await sending.send(alice.id, { recipientID: bob.id, content: 'two' });
      expect(await markers.markMessageRead(bob.id, first.id)).toMatchObject({
        seq: 1,
        unreadCount: 1,
        messageID: first.id,
      });
      await expect(markers.markMessageRead(eve.id, first.id)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });

  describe('delivery marker', () => {
    it('should move forward only, never past the last message, and be written by the flush', async () => {
      const [alice, bob] = await insertUsers(service.db, 2, 'deliv');
      const conversationId = await sendDirect(alice.id, bob.id, 4);
      expect(await markers.markDelivered(bob.id, conversationId, 2)).toEqual({
        conversationID: conversationId,
        seq: 2,
      });
      expect((await markers.markDelivered(bob.id, conversationId, 1)).seq).toBe(2);
      expect((await markers.markDelivered(bob.id, conversationId, 50)).seq).toBe(4);
      await service.app.get(DeliveryMarkerBuffer).flush();
      expect(await storedMarkers(conversationId, bob.id)).toEqual({ read: 0, delivered: 4 });
      // The read marker still says unread: delivered is not read.
      const unread = await queries.unread(bob.id);
      expect(unread.conversations).toEqual([
        expect.objectContaining({ conversationID: conversationId, unreadCount: 4 }),
      ]);
    });
  });

  describe('unread counts', () => {
    it('should count per conversation and in total, and stop counting a group at leaving', async () => {
      const [alice, bob, carol] = await insertUsers(service.db, 3, 'unread');
      const direct = await sendDirect(alice.id, bob.id, 3);
      const group = await insertGroup(service.db, carol.id, { members: [bob.id] });
      await sending.send(carol.id, { groupID: group.id, content: 'g1' });
      await sending.send(carol.id, { groupID: group.id, content: 'g2' });
      await markers.markRead(bob.id, direct, 1);

      const before = await queries.unread(bob.id);
      expect(before.total).toBe(4);
      expect(before.conversations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            conversationID: direct,
            unreadCount: 2,
            lastReadSeq: 1,
            lastSeq: 3,
          }),
          expect.objectContaining({ conversationID: group.conversationId, unreadCount: 2 }),
        ]),
      );
      // The sender has read their own messages.
      expect((await queries.unread(alice.id)).total).toBe(0);

      await service.app.get(GroupMembershipService).leave(bob.id, group.id);
      await sending.send(carol.id, { groupID: group.id, content: 'after bob left' });
      const after = await queries.unread(bob.id);
      expect(after.total).toBe(4);
      expect(
        after.conversations.find((c) => c.conversationID === group.conversationId),
      ).toMatchObject({
        unreadCount: 2,
        lastSeq: 2,
      });
    });
  });
});
