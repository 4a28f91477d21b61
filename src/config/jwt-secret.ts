import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Env } from './env.schema';

/**
 * Production must be given JWT_SECRET (validation refuses to start without it). Elsewhere, generate
 * one once and keep it in DATA_DIR so tokens survive restarts, and say so loudly.
 */
export function ensureJwtSecret(env: Env, warn: (message: string) => void): void {
  if (env.JWT_SECRET) {
    return;
  }
  const dataDir = path.resolve(env.DATA_DIR);
  const file = path.join(dataDir, 'jwt-secret');
  let secret: string;
  if (existsSync(file)) {
    secret = readFileSync(file, 'utf8').trim();
  } else {
    mkdirSync(dataDir, { recursive: true });
    secret = randomBytes(48).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  warn(
    `JWT_SECRET is not set: using the generated secret kept in ${file}. Set JWT_SECRET in production.`,
  );
  process.env.JWT_SECRET = secret;
}
