import { HttpException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import {
  ERROR_STATUS,
  ErrorCode,
  type ErrorBody,
  type ErrorDetail,
} from '../../../libs/contracts/src';
import { AppError } from './app-error';
import { isDependencyUnavailable } from './dependency-error';

/** Flattens nested class-validator errors into `{field, message}` pairs with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      details.push({ field, message });
    }
    if (error.children?.length) {
      details.push(...flattenValidationErrors(error.children, field));
    }
  }
  return details;
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.VALIDATION_FAILED;
    case 401:
      return ErrorCode.UNAUTHORIZED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 409:
      return ErrorCode.CONFLICT;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 503:
      return ErrorCode.UNAVAILABLE;
    default:
      return status >= 400 && status < 500 ? ErrorCode.VALIDATION_FAILED : ErrorCode.INTERNAL;
  }
}

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'You do not have access to this resource',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  RATE_LIMITED: 'Too many requests, try again later',
  INTERNAL: 'Internal server error',
  UNAVAILABLE: 'The service is temporarily unavailable, try again shortly',
};

/** Seconds a client is asked to wait after a dependency failure. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

export interface MappedError {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
  /** True for errors we did not expect: log them with the request id. */
  unexpected: boolean;
}

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

/** Maps anything thrown anywhere to the wire error. Unknown errors become INTERNAL, never 400. */
export function mapError(exception: unknown): MappedError {
  if (exception instanceof AppError) {
    return {
      status: exception.status,
      body: {
        code: exception.code,
        message: exception.message,
        ...(exception.details?.length ? { details: exception.details } : {}),
      },
      retryAfterSeconds: exception.retryAfterSeconds,
      unexpected: false,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = codeForStatus(status);
    const response = exception.getResponse();
    let message = DEFAULT_MESSAGES[code];
    if (status === 404) {
      message = 'Route not found';
    } else if (exception.cause instanceof SyntaxError || /JSON/.test(exception.message)) {
      message = 'The request body is not valid JSON';
    } else if (typeof response === 'object' && response !== null && 'message' in response) {
      const raw: unknown = response.message;
      if (typeof raw === 'string') {
        message = raw;
      }
    }
    return {
      // A 4xx outside the contract's table (405, 415, 422...) is answered with the status its code
      // maps to, so clients never see a code and a status that disagree.
      status: code === ErrorCode.INTERNAL ? 500 : ERROR_STATUS[code],
      body: { code, message },
      ...(code === ErrorCode.UNAVAILABLE ? { retryAfterSeconds: 1 } : {}),
      unexpected: status >= 500 && code !== ErrorCode.UNAVAILABLE,
    };
  }
  // body-parser and other connect-style errors carry a status and a type.
  if (typeof exception === 'object' && exception !== null) {
    const candidate = exception as HttpLikeError;
    const status = Number(candidate.status ?? candidate.statusCode);
    if (Number.isInteger(status) && status >= 400 && status < 500) {
      const code = codeForStatus(status);
      let message = DEFAULT_MESSAGES[code];
      if (candidate.type === 'entity.parse.failed') {
        message = 'The request body is not valid JSON';
      } else if (candidate.type === 'entity.too.large') {
        message = 'The request body exceeds 64 KiB';
      } else if (
        candidate.type === 'encoding.unsupported' ||
        candidate.type === 'charset.unsupported'
      ) {
        message = 'Unsupported request body encoding';
      }
      return { status: ERROR_STATUS[code], body: { code, message }, unexpected: false };
    }
  }
  if (isDependencyUnavailable(exception)) {
    return {
      status: ERROR_STATUS.UNAVAILABLE,
      body: { code: ErrorCode.UNAVAILABLE, message: DEFAULT_MESSAGES.UNAVAILABLE },
      retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      unexpected: false,
    };
  }
  return {
    status: 500,
    body: { code: ErrorCode.INTERNAL, message: DEFAULT_MESSAGES.INTERNAL },
    unexpected: true,
  };
}
