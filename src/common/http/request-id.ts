import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request id: the caller's `X-Request-Id` when it is sane, else a new UUID. Assigned by the
 * first middleware, before the body parser, so even a 413 or a malformed-JSON answer carries it; the
 * logger reuses it.
 */
export function requestIdOf(
  request: IncomingMessage & { id?: unknown },
  response: ServerResponse,
): string {
  if (typeof request.id === 'string') {
    return request.id;
  }
  const incoming = request.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  request.id = id;
  if (!response.headersSent) {
    response.setHeader('X-Request-Id', id);
  }
  return id;
}

/** Strips an error to what is safe to log: no query parameters (they may hold message text or hashes). */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { value: String(error) };
  }
  const { code } = error as { code?: unknown };
  return { name: error.name, message: error.message, code, stack: error.stack };
}
