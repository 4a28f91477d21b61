import { ERROR_STATUS, ErrorCode, type ErrorDetail } from '../../../libs/contracts/src';

export { ErrorCode };

/**
 * The one error type services throw. The code decides the HTTP status and travels unchanged in socket
 * error acks.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Seconds, for RATE_LIMITED and UNAVAILABLE: the Retry-After header (socket: retryAfterMs). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static notFound(what: string): AppError {
    return new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
  }

  static forbidden(message = 'You do not have access to this resource'): AppError {
    return new AppError(ErrorCode.FORBIDDEN, message);
  }

  static unauthorized(message = 'Authentication required'): AppError {
    return new AppError(ErrorCode.UNAUTHORIZED, message);
  }

  static conflict(message: string): AppError {
    return new AppError(ErrorCode.CONFLICT, message);
  }

  static validation(message: string, details?: ErrorDetail[]): AppError {
    return new AppError(ErrorCode.VALIDATION_FAILED, message, details);
  }

  /** The database or Redis is unreachable, or this instance is over capacity: retry later. */
  static unavailable(
    message = 'The service is temporarily unavailable, try again shortly',
    retryAfterSeconds = 1,
  ): AppError {
    return new AppError(
      ErrorCode.UNAVAILABLE,
      message,
      undefined,
      Math.max(1, Math.ceil(retryAfterSeconds)),
    );
  }

  static rateLimited(retryAfterSeconds: number): AppError {
    return new AppError(
      ErrorCode.RATE_LIMITED,
      'Too many requests, try again later',
      undefined,
      Math.max(1, Math.ceil(retryAfterSeconds)),
    );
  }
}
