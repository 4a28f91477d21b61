import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Socket } from 'socket.io';
import type { ErrorEnvelope } from '../../../libs/contracts/src';
import { mapError, socketErrorBody } from '../errors/error-mapping';
import { loggableError } from '../http/request-id';

type AckFn = (response: unknown) => void;

/**
 * The one place errors are rendered: SPEC's envelope over HTTP (with the request id), and the same
 * `{code, message}` as an error ack (or an `error` event when the client gave no callback) over
 * Socket.IO. Unexpected errors are logged with the request id and never leak a stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const mapped = mapError(exception);
    if (host.getType() === 'ws') {
      this.replyOverSocket(mapped, host, exception);
      return;
    }
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

  private replyOverSocket(
    mapped: ReturnType<typeof mapError>,
    host: ArgumentsHost,
    exception: unknown,
  ): void {
    const ws = host.switchToWs();
    const client = ws.getClient<Socket>();
    const pattern = ws.getPattern();
    if (mapped.unexpected) {
      this.logger.error(
        { err: loggableError(exception), event: pattern, socketId: client?.id },
        'Unhandled socket error',
      );
    }
    const args = host.getArgs<unknown[]>();
    const ack = args.find((arg, index) => index > 0 && typeof arg === 'function') as
      AckFn | undefined;
    const error = socketErrorBody(mapped);
    if (ack) {
      ack({ success: false, error });
    } else {
      client?.emit('error', { ...error, event: pattern });
    }
  }
}
