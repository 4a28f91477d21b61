import { after, before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { SearchIndexMaintainer } from '../../src/search/search-index-maintainer';
import { SearchRepository } from '../../src/search/search.repository';
import { insertDirectConversation, insertUsers } from '../utils/sql-factories';
import { createTestDatabase } from '../utils/test-app';

const ROWS = 3_000;

/**
 * The search index's pending list (GIN fastupdate) against the real, migrated PostgreSQL: the
 * maintainer merges it, so the insert that would find it full never has to.
 */
describe('SearchIndexMaintainer', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let repository: SearchRepository;
  let conversationId: string;
  let alice: string;
  let bob: string;
  let nextSeq = 1;

  /** `count` messages in one statement, each with its own words (as chat content has). */
  const insertMessages = async (count: number, word: string): Promise<void> => {
    await dataSource.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, content, message_type,
                             created_at, version)
       SELECT gen_random_uuid(), $1, s, $2, $3, $5 || ' note ' || s || ' ' || md5(s::text), 'text', now(), s
         FROM generate_series($4::int, $4::int + $6::int - 1) AS s`,
      [conversationId, alice, bob, nextSeq, word, count],
    );
    nextSeq += count;
  };
  /** Merges directly and returns the pages that were still pending (the probe of each test). */
  const pendingPages = async (): Promise<number> => repository.mergePendingIndexEntries();

  before(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...buildDataSourceOptions(database.url, 2),
      migrationsRun: true,
    });
    await dataSource.initialize();
    repository = new SearchRepository(dataSource);
    [alice, bob] = (await insertUsers(dataSource, 2, 'gin')).map((user) => user.id);
    conversationId = await insertDirectConversation(dataSource, alice, bob);
  });

  after(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('should leave nothing pending after a merge, where inserts alone leave pages pending', async () => {
    await insertMessages(ROWS, 'before');
    // Control: without a merge the inserts' entries wait in the pending list.
    expect(await pendingPages()).toBeGreaterThan(0);

    await insertMessages(ROWS, 'merged');
    await new SearchIndexMaintainer(repository).merge();
    expect(await pendingPages()).toBe(0);

    const found = await repository.search({
      userId: bob,
      q: 'merged',
      conversationId,
      excludedSenderIds: [],
      after: null,
      limit: 5_000,
    });
    expect(found).toHaveLength(ROWS);
  });

  it('should merge on its own once started, and stop at shutdown', async () => {
    await insertMessages(ROWS, 'timed');
    let merged!: () => void;
    const firstMerge = new Promise<void>((resolve) => (merged = resolve));
    const observed = new SearchRepository(dataSource);
    observed.mergePendingIndexEntries = async () => {
      const pages = await repository.mergePendingIndexEntries();
      merged();
      return pages;
    };
    const maintainer = new SearchIndexMaintainer(observed);
    maintainer.onModuleInit();
    await firstMerge;
    await maintainer.beforeApplicationShutdown();
    expect(maintainer.active).toBe(false);
    expect(await pendingPages()).toBe(0);
  });

  it('should stop for good when the database user may not merge, and keep going after an outage', async () => {
    const refusing = new SearchRepository(dataSource);
    const codes = ['57P01', '42501'];
    refusing.mergePendingIndexEntries = () =>
      Promise.reject(Object.assign(new Error('refused'), { code: codes.shift() }));
    const maintainer = new SearchIndexMaintainer(refusing);
    maintainer.onModuleInit();
    await maintainer.merge();
    expect(maintainer.active).toBe(true);
    await maintainer.merge();
    expect(maintainer.active).toBe(false);
  });
});
