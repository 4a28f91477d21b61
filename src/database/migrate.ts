import { DataSource, type DataSourceOptions } from 'typeorm';

/** Arbitrary, fixed: every instance of this service agrees on it. */
const MIGRATION_LOCK_KEY = 7_246_001;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so instances starting together
 * on an empty database apply each migration once instead of racing. Uses its own single connection
 * (the session-level lock lives on it) and closes it afterwards.
 */
export async function runMigrationsLocked(options: DataSourceOptions): Promise<void> {
  const dataSource = new DataSource({
    ...options,
    migrationsRun: false,
    extra: { ...(options.extra as Record<string, unknown>), max: 1 },
  });
  await dataSource.initialize();
  try {
    await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await dataSource.destroy();
  }
}
