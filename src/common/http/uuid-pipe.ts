import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';

/** Path ids must be UUIDs: anything else is VALIDATION_FAILED naming the parameter, never a 500. */
export function uuidPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    version: undefined,
    exceptionFactory: () =>
      AppError.validation(`${name} must be a UUID`, [
        { field: name, message: `${name} must be a UUID` },
      ]),
  });
}
