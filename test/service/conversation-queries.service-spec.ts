import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { GroupMembershipService } from '../../src/groups/group-membership.service';
import { ConversationQueriesService } from '../../src/messaging/conversation-queries.service';
import { MessageSendingService } from '../../src/messaging/message-sending.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertGroup, insertUsers, type SqlUser } from '../utils/sql-factories';

describe('ConversationQueriesService', () => {
  let service: ServiceApp;
  let queries: ConversationQueriesService;
  let sending: MessageSendingService;
  let alice: SqlUser;
  let bob: SqlUser;
  let eve: SqlUser;
  let conversationId: string;

  const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);

  before(async () => {
    service = await createServiceApp();
    queries = service.app.get(ConversationQueriesService);
    sending = service.app.get(MessageSendingService);
    [alice, bob, eve] = await insertUsers(service.db, 3, 'hist');
    for (let i = 1; i <= 7; i += 1) {
      const from = i % 2 ? alice : bob;
      const to = i % 2 ? bob : alice;
      conversationId = (await sending.send(from.id, { recipientID: to.id, content: `m${i}` }))
        .conversationID;
    }
  });

  after(async () => {
    await service.close();
  });

  describe('history', () => {
    it('should page newest first with before= and a cursor, ending with hasMore false', async () => {
      const first = await queries.history(alice.id, conversationId, { limit: 3 });
      expect(seqs(first)).toEqual([7, 6, 5]);
      expect(first.pagination).toMatchObject({ limit: 3, hasMore: true, nextCursor: 5 });
      const second = await queries.history(alice.id, conversationId, {
        limit: 3,
        before: first.pagination.nextCursor as number,
      });
      expect(seqs(second)).toEqual([4, 3, 2]);
      const last = await queries.history(alice.id, conversationId, {
        limit: 3,
        before: second.pagination.nextCursor as number,
      });
      expect(seqs(last)).toEqual([1]);
      expect(last.pagination).toMatchObject({ hasMore: false, nextCursor: null });
    });

    it('should page oldest first with after=, and answer the same through the peer id', async () => {
      const page = await queries.history(bob.id, alice.id, { after: 2, limit: 3 });
      expect(seqs(page)).toEqual([3, 4, 5]);
      expect(page.pagination.hasMore).toBe(true);
      expect(page.messages[0]).toMatchObject({ conversationID: conversationId, content: 'm3' });
      const sync = await queries.sync(bob.id, conversationId, 5);
      expect(sync).toMatchObject({ hasMore: false });
      expect(seqs(sync)).toEqual([6, 7]);
    });

    it('should answer an empty page for a peer never written to and FORBIDDEN to an outsider', async () => {
      const empty = await queries.history(eve.id, alice.id, {});
      expect(empty.messages).toEqual([]);
      await expect(queries.history(eve.id, conversationId, {})).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });

    it('should show a former group member only what was sent before they left', async () => {
      const group = await insertGroup(service.db, alice.id, { members: [eve.id] });
      await sending.send(alice.id, { groupID: group.id, content: 'before' });
      await service.app.get(GroupMembershipService).leave(eve.id, group.id);
      await sending.send(alice.id, { groupID: group.id, content: 'after' });
      const page = await queries.history(eve.id, group.conversationId, {});
      expect(page.messages.map((m) => m.content)).toEqual(['before']);
      expect(seqs(await queries.history(alice.id, group.conversationId, {}))).toEqual([2, 1]);
    });
  });

  describe('conversations', () => {
    it('should list the caller’s conversations, most recent first, with unread counts', async () => {
      const { items, pagination } = await queries.conversations(bob.id, 10, undefined);
      expect(pagination.hasMore).toBe(false);
      expect(items).toEqual([
        expect.objectContaining({
          id: conversationId,
          type: 'direct',
          lastSeq: 7,
          // Sending reads: bob's marker followed his own message 6.
          unreadCount: 1,
          lastReadSeq: 6,
          peer: expect.objectContaining({ id: alice.id }),
        }),
      ]);
    });
  });
});
