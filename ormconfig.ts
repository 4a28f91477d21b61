/**
 * TypeORM CLI entry point only (`npm run migration:generate -- src/database/migrations/Name`,
 * `npm run migration:run`). Needs DATABASE_URL. Never imported by the application.
 */
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './src/database/typeorm-options';

const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('Set DATABASE_URL to run TypeORM CLI commands');
}

export default new DataSource({ ...buildDataSourceOptions(url, 2), migrationsRun: false });
