import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { runMigrationsLocked } from '../src/database/migrate';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/typeorm-options';
import { createTestDatabase } from './utils/test-app';

describe('migrations', () => {
  let database: { url: string; drop: () => Promise<void> };

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database.drop();
  });

  it('should apply each migration once when several instances start together', async () => {
    const options = buildDataSourceOptions(database.url, 2);
    await Promise.all([1, 2, 3, 4].map(() => runMigrationsLocked(options)));
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>(
        'SELECT name FROM migrations ORDER BY id',
      );
      expect(applied.rows.map((row) => row.name)).toEqual(
        MIGRATIONS.map((migration) => migration.name),
      );
      const tables = await client.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      expect(tables.rows.map((row) => row.tablename)).toEqual(
        expect.arrayContaining([
          'conversation_members',
          'conversations',
          'group_members',
          'groups',
          'messages',
          'sessions',
          'users',
        ]),
      );
    } finally {
      await client.end();
    }
  });

  it('should revert every migration down to an empty schema and apply them all again', async () => {
    const options = buildDataSourceOptions(database.url, 2);
    await runMigrationsLocked(options);
    const dataSource = new DataSource({ ...options, migrationsRun: false });
    await dataSource.initialize();
    try {
      for (let i = 0; i < MIGRATIONS.length; i += 1) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      const left = await dataSource.query<{ tablename: string }[]>(
        // TypeORM's own bookkeeping: `migrations`, and `typeorm_metadata`, which it creates itself
        // before migrating once an entity declares a generated column (messages.content_tsv).
        `SELECT tablename FROM pg_tables
          WHERE schemaname = 'public' AND tablename NOT IN ('migrations', 'typeorm_metadata')`,
      );
      expect(left).toEqual([]);
      await dataSource.runMigrations({ transaction: 'each' });
      const versions = await dataSource.query<{ column_name: string }[]>(
        `SELECT column_name FROM information_schema.columns
          WHERE table_name = 'messages' AND column_name IN ('version', 'mentions') ORDER BY 1`,
      );
      expect(versions.map((row) => row.column_name)).toEqual(['mentions', 'version']);
    } finally {
      await dataSource.destroy();
    }
  });
});
