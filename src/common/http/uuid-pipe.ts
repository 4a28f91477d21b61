import { ParseUUIDPipe } from '@nestjs/common';
import { notUuidError } from '../validation/uuid';

/** Path ids must be UUIDs: anything else is VALIDATION_FAILED naming the parameter, never a 500. */
export function uuidPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    version: undefined,
    exceptionFactory: () => notUuidError(name),
  });
}
