import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { DataSource } from 'typeorm';
import { runMigrationsLocked } from '../src/database/migrate';
import { buildDataSourceOptions } from '../src/database/typeorm-options';
import { createTestDatabase } from './utils/test-app';

describe('entities and migrations', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;

  before(async () => {
    database = await createTestDatabase();
    const options = buildDataSourceOptions(database.url, 2);
    await runMigrationsLocked(options);
    dataSource = new DataSource({ ...options, migrationsRun: false });
    await dataSource.initialize();
  });

  after(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('should match: generating a migration from the entities against the migrated schema yields nothing', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
