import { AppError } from '../errors/app-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The VALIDATION_FAILED answer for an id that is not a UUID, naming the field. */
export function notUuidError(field: string): AppError {
  return AppError.validation(`${field} must be a UUID`, [
    { field, message: `${field} must be a UUID` },
  ]);
}

/** Ids that reach a query must be UUIDs: anything else is 400, never a PostgreSQL cast error. */
export function assertUuid(value: unknown, field: string): asserts value is string {
  if (!isUuid(value)) {
    throw notUuidError(field);
  }
}
