import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../../../libs/contracts/src';
import { AppError } from '../errors/app-error';
import { AllExceptionsFilter } from '../filters/all-exceptions.filter';

type Middleware = (request: Request, response: Response, next: NextFunction) => void;

/** Exactly what the JSON body parser parses: any other type would reach the route unparsed. */
function isJson(contentType: string): boolean {
  return contentType.split(';')[0].trim().toLowerCase() === 'application/json';
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/**
 * `/api` takes JSON only: a form-encoded (or any other non-JSON) body would otherwise go unparsed
 * and the route would run as if no body had been sent. Such a request is answered 400
 * VALIDATION_FAILED (SPEC's code table has no 415). `multipartPaths` are the upload routes that
 * parse multipart/form-data themselves.
 */
export function jsonBodiesOnly(options: { multipartPaths?: readonly string[] } = {}): Middleware {
  const multipartPaths = options.multipartPaths ?? [];
  return (request, _response, next) => {
    if (!hasBody(request)) {
      next();
      return;
    }
    const contentType = request.headers['content-type'] ?? '';
    const multipart = contentType.toLowerCase().startsWith('multipart/form-data');
    const uploadRoute = multipartPaths.some(
      (path) => request.path === path || request.path.startsWith(`${path}/`),
    );
    if (isJson(contentType) || (multipart && uploadRoute)) {
      next();
      return;
    }
    next(
      new AppError(
        ErrorCode.VALIDATION_FAILED,
        'Request bodies must be JSON (Content-Type: application/json)',
        [{ field: 'Content-Type', message: 'must be application/json' }],
      ),
    );
  };
}

interface ExpressLike {
  handle: (request: Request, response: Response, callback?: (error?: unknown) => void) => void;
}

/**
 * Express answers whatever no route took (paths outside `/api`, such as `/nope` or `//api//x`) and
 * any error that escaped Nest's exception layer with its own HTML page. Replace that final handler
 * so those answers carry the JSON envelope and the request id too.
 */
export function envelopeFinalHandler(express: object): void {
  const instance = express as ExpressLike;
  const filter = new AllExceptionsFilter();
  const handle = instance.handle.bind(instance);
  instance.handle = (request, response, callback) => {
    handle(
      request,
      response,
      callback ??
        ((error?: unknown) => {
          if (response.headersSent) {
            response.destroy();
            return;
          }
          filter.catch(error ?? AppError.notFound('Route'), {
            getType: () => 'http',
            switchToHttp: () => ({
              getRequest: () => request,
              getResponse: () => response,
              getNext: () => () => undefined,
            }),
          } as never);
        }),
    );
  };
}

const HEADER_LIMIT_MESSAGE =
  'The request line and headers must be at most 16 KB together (a shorter URL, fewer headers)';
const TIMEOUT_MESSAGE = 'The request was not received in time';

function clientErrorMessage(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return HEADER_LIMIT_MESSAGE;
  }
  return code === 'ERR_HTTP_REQUEST_TIMEOUT' ? TIMEOUT_MESSAGE : 'The request is not valid HTTP';
}

/**
 * A client that sends its headers slowly (or never) holds a connection until the headers timeout,
 * 60 s by default: 20 s is plenty. The whole-request timeout stays at Node's 5 minutes, since it
 * covers the body too and an upload of 25 MiB on a slow link needs that long. Either answer is the
 * envelope written by `answerClientErrors`.
 */
export function limitSlowRequests(
  server: Server,
  limits: { headersMs: number; requestMs: number } = { headersMs: 20_000, requestMs: 300_000 },
): void {
  server.headersTimeout = limits.headersMs;
  server.requestTimeout = limits.requestMs;
}

/**
 * Requests the Node HTTP parser refuses (headers or URL over 16 KB, malformed request lines) never
 * reach Express: Node would answer a bare 431/400 or reset the connection. Answer with the envelope
 * and a request id instead, then close the connection (the parser cannot resume on it).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // A response already under way on this connection (keep-alive) cannot be followed by another.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || error.code === 'ECONNRESET' || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const message = clientErrorMessage(error.code);
    const body = JSON.stringify({
      success: false,
      error: { code: ErrorCode.VALIDATION_FAILED, message, requestId },
    });
    socket.end(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
