import * as path from 'node:path';
import type { Env } from '../config/env.schema';
import { launchEmbeddedPostgres, type LaunchedEmbeddedDatabase } from './embedded-postgres';

/**
 * Without DATABASE_URL, start the embedded PostgreSQL under DATA_DIR and point DATABASE_URL at it, so
 * the rest of the app sees one kind of database. Returns once its processes are spawned (await its
 * `ready` before connecting) the server to stop on shutdown, or null.
 */
export async function ensureDatabase(
  env: Env,
  log: (line: string) => void,
): Promise<LaunchedEmbeddedDatabase | null> {
  if (env.DATABASE_URL) {
    return null;
  }
  const dataDir = path.resolve(env.DATA_DIR);
  log(
    `DATABASE_URL is not set: starting the embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`,
  );
  const database = await launchEmbeddedPostgres({ dataDir });
  process.env.DATABASE_URL = database.url;
  return database;
}
