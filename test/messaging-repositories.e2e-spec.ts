import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/typeorm-options';
import { ConversationMembersRepository } from '../src/messaging/repositories/conversation-members.repository';
import { ConversationsRepository } from '../src/messaging/repositories/conversations.repository';
import {
  MessagesRepository,
  type MessageToPost,
} from '../src/messaging/repositories/messages.repository';
import { createTestDatabase } from './utils/test-app';

/** Repository-level spec: the messaging repositories' typed answers against the migrated PostgreSQL. */
describe('messaging repositories', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let conversations: ConversationsRepository;
  let members: ConversationMembersRepository;
  let messages: MessagesRepository;
  let low: string;
  let high: string;
  let conversationId: string;

  const newUser = async (): Promise<string> => {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, 'x')`,
      [id, `u${id.slice(0, 8)}`, `${id}@example.com`],
    );
    return id;
  };

  const post = (senderId: string, count: number): Promise<unknown> =>
    messages.post(
      Array.from({ length: count }, (_, i): MessageToPost => ({
        conversationId,
        senderId,
        recipientId: senderId === low ? high : low,
        groupId: null,
        content: `m${i}`,
        messageType: 'text',
        clientMessageId: null,
      })),
      new Date(),
    );

  before(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...buildDataSourceOptions(database.url, 2),
      migrationsRun: true,
    });
    await dataSource.initialize();
    conversations = new ConversationsRepository(dataSource);
    members = new ConversationMembersRepository(dataSource);
    messages = new MessagesRepository(dataSource);
  });

  after(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  beforeEach(async () => {
    [low, high] = [await newUser(), await newUser()].sort();
    const created = await conversations.findOrCreateDirects([`${low}:${high}`]);
    conversationId = created.get(`${low}:${high}`) as string;
  });

  it('should create a direct conversation once and find it again', async () => {
    const unknown = [low, randomUUID()].sort().join(':');
    expect(await conversations.findOrCreateDirects([`${low}:${high}`, unknown])).toEqual(
      new Map([[`${low}:${high}`, conversationId]]),
    );
  });

  it('should create the new pairs of one batch with their members, and find the known ones', async () => {
    const others = (await Promise.all([newUser(), newUser(), newUser()])).sort();
    const pairs = [`${low}:${high}`, ...others.map((other) => [low, other].sort().join(':'))];
    const found = await conversations.findOrCreateDirects(pairs);
    expect([...found.keys()].sort()).toEqual([...pairs].sort());
    expect(found.get(`${low}:${high}`)).toBe(conversationId);
    const ids = pairs.slice(1).map((pair) => found.get(pair) as string);
    expect(new Set(ids).size).toBe(3);
    const memberRows = await dataSource.query<{ conversation_id: string; user_id: string }[]>(
      'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id = ANY($1)',
      [ids],
    );
    expect(memberRows.length).toBe(6);
    // Asked again, nothing new is created.
    expect(await conversations.findOrCreateDirects(pairs)).toEqual(found);
  });

  it('should answer access with numbers, by conversation id or by peer', async () => {
    await post(low, 3);
    const byId = await conversations.findAccess(low, conversationId);
    expect(byId).toEqual({
      id: conversationId,
      type: 'direct',
      groupId: null,
      userLow: low,
      userHigh: high,
      lastSeq: 3,
      groupVisibility: null,
      // The sender's markers move with their own messages.
      member: { leftSeq: null, lastReadSeq: 3, lastDeliveredSeq: 3 },
    });
    expect(await conversations.findAccess(high, low)).toMatchObject({
      id: conversationId,
      member: { leftSeq: null, lastReadSeq: 0, lastDeliveredSeq: 0 },
    });
    expect((await conversations.findAccess(await newUser(), conversationId))?.member).toBeNull();
    expect(await conversations.findAccess(low, randomUUID())).toBeNull();
  });

  it('should answer many access requests in one statement, in request order', async () => {
    const stranger = await newUser();
    const answers = await conversations.findAccesses([
      { userId: high, ref: low },
      { userId: low, ref: randomUUID() },
      { userId: stranger, ref: conversationId },
      { userId: low, ref: conversationId },
    ]);
    expect(answers.map((answer) => answer?.id ?? null)).toEqual([
      conversationId,
      null,
      conversationId,
      conversationId,
    ]);
    expect(answers[2]?.member).toBeNull();
    expect(answers[3]).toEqual(await conversations.findAccess(low, conversationId));
    expect(await conversations.findAccesses([])).toEqual([]);
  });

  it('should move the read marker forward only and return the stored one', async () => {
    await post(low, 5);
    expect(await members.advanceRead(conversationId, high, 4)).toBe(4);
    // Asked to go back to 2: the marker stays at 4 and the answer says so.
    expect(await members.advanceRead(conversationId, high, 2)).toBe(4);
    expect(await members.advanceRead(conversationId, randomUUID(), 2)).toBeNull();
    const markers = await members.activeMarkers([conversationId]);
    expect(markers).toContainEqual({
      conversationId,
      userId: high,
      lastDeliveredSeq: 4,
      lastReadSeq: 4,
    });
  });

  it('should write delivery marks without moving one backwards', async () => {
    await post(low, 5);
    await members.writeDeliveryMarks([{ conversationId, userId: high, seq: 5 }]);
    await members.writeDeliveryMarks([{ conversationId, userId: high, seq: 1 }]);
    expect(await members.undelivered(high)).toEqual([]);
    expect((await members.activeMarkers([conversationId])).find((m) => m.userId === high)).toEqual({
      conversationId,
      userId: high,
      lastDeliveredSeq: 5,
      lastReadSeq: 0,
    });
    expect(await members.unread(high)).toEqual([
      { conversationId, lastReadSeq: 0, visibleSeq: 5, mentionCount: 0 },
    ]);
  });

  it('should skip marker rows a transaction holds when asked, return those marks, and drop marks of no row', async () => {
    await post(low, 4);
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        'SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE',
        [conversationId, high],
      );
      const stranger = await newUser();
      const skipped = await members.writeDeliveryMarks(
        [
          { conversationId, userId: high, seq: 3 },
          { conversationId, userId: low, seq: 4 },
          { conversationId, userId: stranger, seq: 4 },
        ],
        { skipLocked: true },
      );
      expect(skipped).toEqual([{ conversationId, userId: high, seq: 3 }]);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    const delivered = async () =>
      (await members.activeMarkers([conversationId])).find((m) => m.userId === high)
        ?.lastDeliveredSeq;
    expect(await delivered()).toBe(0);
    expect(await members.writeDeliveryMarks([{ conversationId, userId: high, seq: 3 }])).toEqual(
      [],
    );
    expect(await delivered()).toBe(3);
  });

  it('should write delivery marks and messages on the same marker rows at once, each marker at the highest of both', async () => {
    const pairs: { id: string; users: [string, string] }[] = [];
    for (let i = 0; i < 10; i += 1) {
      const users = [await newUser(), await newUser()].sort() as [string, string];
      const key = `${users[0]}:${users[1]}`;
      pairs.push({
        id: (await conversations.findOrCreateDirects([key])).get(key) as string,
        users,
      });
    }
    // Both sides of every pair send (their marker rows are locked by post_messages) while flushes
    // mark the same rows delivered, listed in the opposite order.
    const writes = Array.from({ length: 12 }, (_, round) =>
      messages.post(
        pairs.flatMap(({ id, users }) =>
          users.map((senderId, side): MessageToPost => ({
            conversationId: id,
            senderId,
            recipientId: users[1 - side],
            groupId: null,
            content: `r${round}`,
            messageType: 'text',
            clientMessageId: null,
          })),
        ),
        new Date(),
      ),
    );
    const flushes = Array.from({ length: 12 }, (_, round) =>
      members.writeDeliveryMarks(
        pairs
          .flatMap(({ id, users }) =>
            users.map((userId) => ({ conversationId: id, userId, seq: round + 1 })),
          )
          .reverse(),
      ),
    );
    await Promise.all([...writes, ...flushes]);
    const markers = await members.activeMarkers(pairs.map((pair) => pair.id));
    expect(markers).toHaveLength(20);
    // 24 messages per conversation, the two sides taking turns: each side's marker is at its own
    // last message (a sender has seen the conversation up to what it sent), above every flushed mark.
    for (const { id, users } of pairs) {
      const of = (userId: string) =>
        markers.find((m) => m.conversationId === id && m.userId === userId)?.lastDeliveredSeq;
      expect([of(users[0]), of(users[1])]).toEqual([23, 24]);
    }
  });

  it('should page, locate and list senders with numeric seqs', async () => {
    await post(low, 2);
    await post(high, 2);
    const page = await messages.page(conversationId, { after: 1, upTo: 4, ascending: true }, 2, 0);
    expect(page.map((row) => Number(row.seq))).toEqual([2, 3]);
    expect(await messages.locate(page[1].id)).toEqual({ conversationId, seq: 3 });
    expect(await messages.locate(randomUUID())).toBeNull();
    expect((await messages.senderIdsBetween(conversationId, 1, 4)).sort()).toEqual([low, high]);
    expect((await messages.senderIdsBetween(conversationId, 2, 4)).sort()).toEqual([high]);
    const newest = await messages.newestInRanges([{ conversationId, after: 0, upTo: 4 }], 3);
    expect(newest.map((row) => Number(row.seq))).toEqual([4, 3, 2]);
  });

  it('should list the conversation with its last message and typed columns', async () => {
    await post(low, 2);
    const [entry] = await conversations.listForUser(high, null, 10);
    expect(entry).toMatchObject({
      conversationId,
      type: 'direct',
      visibleSeq: 2,
      lastReadSeq: 0,
      peerId: low,
      groupName: null,
    });
    expect(typeof entry.version).toBe('number');
    expect(Number(entry.lastMessage?.seq)).toBe(2);
  });
});
