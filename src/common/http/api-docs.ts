import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiResponse,
  getSchemaPath,
  type ApiPropertyOptions,
} from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../../../libs/contracts/src';
import { ErrorResponseDto } from './error-response.dto';

/** A UUID (always 36 characters): ids the server generates or has validated. */
export function ApiUuid(options: ApiPropertyOptions = {}) {
  return ApiProperty({
    type: String,
    format: 'uuid',
    minLength: 36,
    maxLength: 36,
    ...options,
  });
}

/** An ISO 8601 UTC time as `Date.toISOString()` writes it (24 characters; 27 past year 9999). */
export function ApiDateTime(options: ApiPropertyOptions = {}) {
  return ApiProperty({
    type: String,
    format: 'date-time',
    maxLength: 30,
    ...options,
  });
}

/** The largest page any paginated route returns (`limit` is 1-100). */
export const MAX_PAGE_SIZE = 100;

// Not a *.dto.ts file, so the Swagger plugin does not see it: every property is spelled out.
export class PaginationDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    example: 50,
  })
  limit!: number;
  @ApiProperty({ example: true })
  hasMore!: boolean;
  @ApiProperty({
    description:
      "Pass back as the next page's cursor: an opaque string for conversations and members, the " +
      'seq to pass as `before`/`after` for history; null on the last page.',
    oneOf: [
      { type: 'string', maxLength: 200 },
      { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      // OpenAPI 3.0 spelling of "or null" (`nullable` needs a `type` beside it).
      { type: 'string', nullable: true, enum: [null] },
    ],
    example: 151,
  })
  nextCursor!: string | number | null;
}

interface SuccessOptions {
  status?: 200 | 201;
  isArray?: boolean;
  /** For arrays: the most items the route returns (documented as maxItems). */
  maxItems?: number;
  paginated?: boolean;
  description?: string;
}

/** Documents `{success: true, data: <model>}` (optionally with `pagination`). */
export function ApiSuccess(model: Type<unknown> | null, options: SuccessOptions = {}) {
  const data = model
    ? options.isArray
      ? {
          type: 'array',
          items: { $ref: getSchemaPath(model) },
          ...(options.maxItems !== undefined ? { maxItems: options.maxItems } : {}),
        }
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
