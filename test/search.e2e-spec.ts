import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import type { Message } from '../libs/contracts/src';
import { SearchRepository } from '../src/search/search.repository';
import { createGroup, joinGroup, sendHttp } from './utils/api';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

interface Page {
  data: Message[];
  pagination: { hasMore: boolean; nextCursor: string | null };
}

describe('message search', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  const search = async (user: RegisteredUser, query: Record<string, string | number>) => {
    const response = await app
      .http()
      .get('/api/messages/search')
      .query(query)
      .set('Authorization', user.auth);
    return { status: response.status, body: response.body as Page & { error?: { code: string } } };
  };
  const contents = async (user: RegisteredUser, q: string) =>
    (await search(user, { q })).body.data.map((m) => m.content);

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

  it('should find words case-insensitively with phrases and exclusions, newest first', async () => {
    await sendHttp(app, alice, { recipientID: bob.id, content: 'Apple banana split' });
    await sendHttp(app, bob, { recipientID: alice.id, content: 'banana bread, no apple' });
    await sendHttp(app, alice, { recipientID: bob.id, content: 'Ünïcode café crème' });
    expect(await contents(bob, 'BANANA')).toEqual(['banana bread, no apple', 'Apple banana split']);
    expect(await contents(bob, '"apple banana"')).toEqual(['Apple banana split']);
    expect(await contents(bob, 'banana -split')).toEqual(['banana bread, no apple']);
    expect(await contents(bob, 'CAFÉ')).toEqual(['Ünïcode café crème']);
    expect(await contents(carol, 'banana')).toEqual([]);
    const page = await search(bob, { q: 'banana' });
    expect(page.body.data[0]).toMatchObject({ senderID: bob.id, recipientID: alice.id });
  });

  it('should page with a keyset cursor without repeats or gaps', async () => {
    const group = await createGroup(app, alice, 'pager');
    for (let i = 1; i <= 5; i += 1) {
      await sendHttp(app, alice, { groupID: group.id, content: `pagination word ${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(alice, {
        q: 'pagination',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((m) => m.content));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    expect(seen).toEqual([5, 4, 3, 2, 1].map((i) => `pagination word ${i}`));
  });

  it('should cover a group up to when the caller left, everything once rejoined, and earlier history for late joiners', async () => {
    const group = await createGroup(app, alice, 'kiwis');
    await joinGroup(app, carol, group.id);
    await sendHttp(app, alice, { groupID: group.id, content: 'kiwi one' });
    await app
      .http()
      .delete(`/api/groups/${group.id}/leave`)
      .set('Authorization', carol.auth)
      .expect(200);
    await sendHttp(app, alice, { groupID: group.id, content: 'kiwi two' });
    expect(await contents(carol, 'kiwi')).toEqual(['kiwi one']);
    const late = await signedInUser(app.app, 'late');
    await joinGroup(app, late, group.id);
    expect(await contents(late, 'kiwi')).toEqual(['kiwi two', 'kiwi one']);
    await joinGroup(app, carol, group.id);
    expect(await contents(carol, 'kiwi')).toEqual(['kiwi two', 'kiwi one']);
  });

  it('should search one conversation when asked, and refuse one the caller is not in', async () => {
    const group = await createGroup(app, alice, 'scoped');
    await sendHttp(app, alice, { groupID: group.id, content: 'scoped mango' });
    await sendHttp(app, alice, { recipientID: bob.id, content: 'direct mango' });
    const scoped = await search(alice, { q: 'mango', conversationID: group.id });
    expect(scoped.body.data.map((m) => m.content)).toEqual(['scoped mango']);
    const byPeer = await search(alice, { q: 'mango', conversationID: bob.id });
    expect(byPeer.body.data.map((m) => m.content)).toEqual(['direct mango']);
    expect((await search(carol, { q: 'mango', conversationID: group.id })).status).toBe(403);
    expect((await search(alice, { q: '' })).status).toBe(400);
    expect((await search(alice, { q: 'x'.repeat(201) })).status).toBe(400);
    expect((await search(alice, { q: 'mango', limit: 101 })).status).toBe(400);
    expect((await search(alice, { q: 'mango', cursor: 'nope!' })).status).toBe(400);
    expect((await search(alice, { q: '-' })).body.data).toEqual([]);
  });

  it('should leave out the messages of users the caller blocks, in groups too', async () => {
    const group = await createGroup(app, alice, 'blocky');
    await joinGroup(app, bob, group.id);
    await sendHttp(app, bob, { groupID: group.id, content: 'papaya from bob' });
    await sendHttp(app, alice, { groupID: group.id, content: 'papaya from alice' });
    await app.http().put(`/api/users/${bob.id}/block`).set('Authorization', alice.auth).expect(204);
    expect(await contents(alice, 'papaya')).toEqual(['papaya from alice']);
    // The blocked user's own search is unchanged.
    expect(await contents(bob, 'papaya')).toEqual(['papaya from alice', 'papaya from bob']);
    await app
      .http()
      .delete(`/api/users/${bob.id}/block`)
      .set('Authorization', alice.auth)
      .expect(204);
    expect(await contents(alice, 'papaya')).toEqual(['papaya from alice', 'papaya from bob']);
  });

  it('should never return deleted messages', async () => {
    const message = await sendHttp(app, alice, {
      recipientID: bob.id,
      content: 'ephemeral quince',
    });
    expect(await contents(bob, 'quince')).toEqual(['ephemeral quince']);
    await app
      .http()
      .delete(`/api/messages/${message.id}`)
      .set('Authorization', alice.auth)
      .expect(204);
    expect(await contents(bob, 'quince')).toEqual([]);
  });

  it('should use the GIN index on a table of 100,000 messages', async () => {
    const group = await createGroup(app, alice, 'big');
    const client = new Client({ connectionString: app.databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO messages (id, conversation_id, seq, version, sender_id, group_id, content, message_type, created_at)
         SELECT gen_random_uuid(), $1, 1000 + g, 1000 + g, $2, $3,
                'filler message number ' || g || CASE WHEN g % 10000 = 0 THEN ' zebra' ELSE '' END,
                'text', now() - g * interval '1 second'
           FROM generate_series(1, 100000) AS g`,
        [group.conversationID, alice.id, group.id],
      );
      await client.query('ANALYZE messages');
      const plan = await client.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) ${SearchRepository.SQL}`,
        SearchRepository.parameters({
          userId: alice.id,
          q: 'zebra',
          conversationId: null,
          excludedSenderIds: [],
          after: null,
          limit: 21,
        }),
      );
      const nodes = planNodes((plan.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan);
      expect(nodes.map((node) => node['Index Name'])).toContain('IDX_messages_content_tsv');
      const messageScans = nodes.filter((node) => node['Relation Name'] === 'messages');
      expect(messageScans.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    } finally {
      await client.end();
    }
    const found = await search(alice, { q: 'zebra', limit: 100 });
    expect(found.body.data).toHaveLength(10);
  });
});
