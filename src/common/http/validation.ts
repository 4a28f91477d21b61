import { type ArgumentMetadata, type Type, ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { flattenValidationErrors } from '../errors/error-mapping';
import { assertSaneInput } from '../validation/input-sanity';

/**
 * ValidationPipe with the input sanity pass in front: depth, well-formed Unicode, NUL, number range
 * and prototype keys are checked iteratively before class-transformer (which recurses) and
 * class-validator see the value.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom') {
      return super.transform(value, metadata);
    }
    // A path parameter or a single query field is named after itself; in a body or a whole query
    // object the path names the field inside it.
    const root = metadata.data ?? '';
    assertSaneInput(value, root);
    const result: unknown = await super.transform(value, metadata);
    // Again on the result: a DTO's own conversion (a lenient `@Type(() => Number)` on a query field
    // turns "1e19" into 1e19) must not hand an out-of-range number to a query either.
    assertSaneInput(result, root);
    return result;
  }
}

/**
 * The one validation pipe, for HTTP and Socket.IO alike: unknown fields are rejected, not ignored, and
 * every failure becomes VALIDATION_FAILED with per-field details.
 */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
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

const sharedPipe = createValidationPipe();

/**
 * Validates one decoded input against a DTO class outside Nest's pipeline (a transport's command
 * dispatcher): the same sanity pass and rules as HTTP bodies. Returns the DTO instance or throws
 * AppError VALIDATION_FAILED.
 */
export async function validateInput<T extends object>(dto: Type<T>, value: unknown): Promise<T> {
  return (await sharedPipe.transform(value, { type: 'body', metatype: dto })) as T;
}
