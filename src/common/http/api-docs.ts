import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../../../libs/contracts/src';
import { ErrorResponseDto } from './error-response.dto';

export class PaginationDto {
  /** @example 50 */
  limit!: number;
  /** @example true */
  hasMore!: boolean;
  /** Pass back as the next page's cursor (`before`/`after` seq for history). @example 151 */
  nextCursor!: string | number | null;
}

interface SuccessOptions {
  status?: 200 | 201;
  isArray?: boolean;
  paginated?: boolean;
  description?: string;
}

/** Documents `{success: true, data: <model>}` (optionally with `pagination`). */
export function ApiSuccess(model: Type<unknown> | null, options: SuccessOptions = {}) {
  const data = model
    ? options.isArray
      ? { type: 'array', items: { $ref: getSchemaPath(model) } }
      : { $ref: getSchemaPath(model) }
    : { type: 'object', nullable: true };
  const properties = {
    success: { type: 'boolean', example: true },
    data,
    ...(options.paginated ? { pagination: { $ref: getSchemaPath(PaginationDto) } } : {}),
  };
  return applyDecorators(
    ApiExtraModels(...(model ? [model] : []), PaginationDto, ErrorResponseDto),
    ApiResponse({
      status: options.status ?? 200,
      description: options.description ?? 'Success',
      schema: { type: 'object', required: ['success', 'data'], properties },
    }),
  );
}

const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  VALIDATION_FAILED:
    'Invalid input: malformed JSON, a wrong type, a missing or unknown field (details lists each)',
  UNAUTHORIZED: 'Missing, invalid or expired access token',
  FORBIDDEN: 'Not allowed for the caller',
  NOT_FOUND: 'No such resource (or not visible to the caller)',
  CONFLICT: 'Conflicts with existing state',
  PAYLOAD_TOO_LARGE: 'Request body over 64 KiB',
  RATE_LIMITED: 'Too many requests; see Retry-After',
  INTERNAL: 'Unexpected server error (logged with the request id)',
  UNAVAILABLE:
    'The database or Redis is unreachable, or the instance is over capacity; retry after Retry-After',
};

/** Documents the error envelope for each listed code (400, 413, 500 and 503 are added to every route). */
export function ApiErrors(...codes: ErrorCode[]) {
  const all = new Set<ErrorCode>([
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.INTERNAL,
    ErrorCode.UNAVAILABLE,
    ...codes,
  ]);
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ...[...all].map((code) =>
      ApiResponse({
        status: ERROR_STATUS[code],
        description: `${code}: ${ERROR_DESCRIPTIONS[code]}`,
        schema: {
          allOf: [{ $ref: getSchemaPath(ErrorResponseDto) }],
          example: { success: false, error: { code, message: ERROR_DESCRIPTIONS[code] } },
        },
      }),
    ),
  );
}
