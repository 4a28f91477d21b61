import { ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { flattenValidationErrors } from '../errors/error-mapping';

/**
 * The one validation pipe, for HTTP and Socket.IO alike: unknown fields are rejected, not ignored, and
 * every failure becomes VALIDATION_FAILED with per-field details.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      const message = details.length
        ? `${details[0].field}: ${details[0].message}`
        : 'The request is not valid';
      return AppError.validation(message, details);
    },
  });
}
