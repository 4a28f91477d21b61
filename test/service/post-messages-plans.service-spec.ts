import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import { runMigrationsLocked } from '../../src/database/migrate';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { createTestDatabase } from '../utils/test-app';

const STORED = 20_000;
const BATCH = 20;

/**
 * The young-database case the bench hit: a connection plans post_messages while messages holds a few
 * rows (a server's first seconds), keeps those plans, and the table grows. A batch must still find
 * its clientMessageIDs and its reply targets by index, never by reading the whole table.
 */
describe('post_messages plans made while the table was small', () => {
  let client: Client;
  let dropDatabase: () => Promise<void>;
  const users = [randomUUID(), randomUUID()];
  const conversation = randomUUID();
  let firstMessage: string;

  before(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    await runMigrationsLocked(buildDataSourceOptions(database.url, 2));
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(`ALTER TABLE messages SET (autovacuum_enabled = false)`);
    await client.query(
      `INSERT INTO users (id, username, email, password_hash)
       SELECT id, 'p' || o, 'p' || o || '@example.com', 'x' FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, o)`,
      [users],
    );
    const [low, high] = [...users].sort();
    await client.query(
      `INSERT INTO conversations (id, type, user_low, user_high) VALUES ($1, 'direct', $2, $3)`,
      [conversation, low, high],
    );
    await client.query(
      `INSERT INTO conversation_members (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`,
      [conversation, users],
    );
    firstMessage = randomUUID();
    const fill = async (from: number, to: number): Promise<void> => {
      await client.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, content, message_type,
                               client_message_id, created_at, version)
         SELECT CASE WHEN s = 1 THEN $6::uuid ELSE gen_random_uuid() END, $1, s, $2, $3, 'old ' || s,
                'text', 'old.' || s, now(), s
           FROM generate_series($4::int, $5::int) AS s`,
        [conversation, users[0], users[1], from, to, firstMessage],
      );
      await client.query(`UPDATE conversations SET last_seq = $2, version = $2 WHERE id = $1`, [
        conversation,
        to,
      ]);
    };
    await fill(1, 100);
    await client.query('ANALYZE');
    // Plans cached by this connection while the table is small (more calls than PostgreSQL's five
    // custom plans, with and without replies), as a server's connections do in its first seconds.
    for (let call = 0; call < 7; call += 1) {
      await scansOfOneBatch(null);
      await scansOfOneBatch(firstMessage);
    }
    await fill(101, STORED);
  });

  after(async () => {
    await client.end();
    await dropDatabase();
  });

  /**
   * Sequential scans of messages by one batch, and rows it read through indexes, counted inside its
   * (rolled back) transaction.
   */
  async function scansOfOneBatch(
    replyTo: string | null,
  ): Promise<{ seq: number; fetched: number }> {
    const ids = Array.from({ length: BATCH }, () => randomUUID());
    const nulls = ids.map(() => null);
    // pg_stat_xact_user_tables also counts earlier transactions whose counts are not flushed yet.
    const scans = async (): Promise<{ seq: number; fetched: number }> => {
      const { rows } = await client.query<{ seq: string; fetched: string }>(
        `SELECT seq_scan AS seq, coalesce(idx_tup_fetch, 0) AS fetched
           FROM pg_stat_xact_user_tables WHERE relname = 'messages'`,
      );
      return { seq: Number(rows[0].seq), fetched: Number(rows[0].fetched) };
    };
    await client.query('BEGIN');
    try {
      const before = await scans();
      const { rows } = await client.query<{ kind: string }>(
        `SELECT kind FROM post_messages($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                        $6::text[], $7::varchar[], $8::varchar[], $9::uuid[], $10::text[], now())
          WHERE ord > 0 AND kind <> 'root'`,
        [
          ids,
          ids.map(() => conversation),
          ids.map(() => users[0]),
          ids.map(() => users[1]),
          nulls,
          ids.map((id) => `new ${id}`),
          ids.map(() => 'text'),
          ids.map((id) => `new.${id}`),
          ids.map(() => replyTo),
          nulls,
        ],
      );
      const after = await scans();
      expect(rows.map((row) => row.kind)).toEqual(ids.map(() => 'created'));
      return { seq: after.seq - before.seq, fetched: after.fetched - before.fetched };
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('should look up a batch of clientMessageIDs by index, never scanning the whole table', async () => {
    for (let call = 0; call < 3; call += 1) {
      const scans = await scansOfOneBatch(null);
      expect(scans.seq).toBe(0);
      expect(scans.fetched).toBeLessThan(BATCH * 5);
    }
  });

  it('should find reply targets by id as well', async () => {
    for (let call = 0; call < 3; call += 1) {
      // Not through the conversation's index, which reads every message of the conversation.
      const scans = await scansOfOneBatch(firstMessage);
      expect(scans.seq).toBe(0);
      expect(scans.fetched).toBeLessThan(BATCH * 5);
    }
  });
});
