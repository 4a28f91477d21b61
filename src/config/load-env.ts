import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EnvValidationError, validateEnv, type Env } from './env.schema';

/**
 * Reads the optional `.env` (real environment variables win) and validates everything. A bad value
 * ends the process with one line naming the variable.
 */
export function loadEnvOrExit(): Env {
  const file = path.resolve('.env');
  if (existsSync(file)) {
    process.loadEnvFile(file);
  }
  try {
    return validateEnv(process.env);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
