import { AppError } from '../errors/app-error';
import { isUuid } from '../validation/uuid';

/**
 * Opaque cursors for lists ordered by (timestamp, id). The timestamp travels at PostgreSQL's full
 * microsecond precision: a JavaScript Date stops at milliseconds, and a truncated cursor would skip
 * (or repeat) rows that fall in the same millisecond.
 */
const EXACT_TS = /^((\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})\d{3}Z$/;

/**
 * The years a row of ours can carry. A well-formed cursor outside them (year 0000 is valid for a
 * JavaScript Date, not for PostgreSQL) was never issued by this server.
 */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

/** SQL rendering a timestamptz expression as the exact UTC text the cursor carries. */
export function exactTimestampSql(expression: string): string {
  return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

export function encodeKeysetCursor(exactTimestamp: string, id: string): string {
  return Buffer.from(`${exactTimestamp}|${id}`, 'utf8').toString('base64url');
}

/** Throws VALIDATION_FAILED (field `cursor`) for anything that is not a cursor we issued. */
export function decodeKeysetCursor(cursor: string): { at: string; id: string } {
  const invalid = () =>
    AppError.validation('cursor is not valid: pass back a nextCursor unchanged', [
      { field: 'cursor', message: 'cursor is not valid' },
    ]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid();
  }
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const parts = EXACT_TS.exec(at ?? '');
  if (rest.length || !parts || !isUuid(id)) {
    throw invalid();
  }
  const year = Number(parts[2]);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw invalid();
  }
  // Round-trip the millisecond part so impossible dates (month 13, Feb 31) never reach PostgreSQL.
  const date = new Date(`${parts[1]}.${parts[3]}Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== `${parts[1]}.${parts[3]}Z`) {
    throw invalid();
  }
  return { at, id };
}
