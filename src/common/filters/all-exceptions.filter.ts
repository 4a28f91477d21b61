import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ErrorEnvelope } from '../../../libs/contracts/src';
import { mapError } from '../errors/error-mapping';
import { loggableError } from '../http/request-id';

/**
 * The one place HTTP errors are rendered: the contract's envelope with the request id. (Socket events map
 * errors with the same `mapError` in the realtime command table.) Unexpected errors are logged with
 * the request id and never leak a stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const mapped = mapError(exception);
    if (host.getType() !== 'http') {
      return;
    }
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const requestId = typeof request?.id === 'string' ? request.id : undefined;
    if (mapped.unexpected) {
      this.logger.error(
        {
          err: loggableError(exception),
          requestId,
          method: request?.method,
          url: request?.originalUrl?.split('?')[0],
        },
        'Unhandled error',
      );
    }
    if (response.headersSent) {
      return;
    }
    if (mapped.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(mapped.retryAfterSeconds));
    }
    const envelope: ErrorEnvelope = {
      success: false,
      error: { ...mapped.body, ...(requestId ? { requestId } : {}) },
    };
    response.status(mapped.status).json(envelope);
  }
}
