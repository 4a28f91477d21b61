import { Logger } from '@nestjs/common';
import {
  type AckError,
  CLIENT_EVENT_NAMES,
  type ClientEventName,
  ErrorCode,
} from '../../libs/contracts/src';
import { MAX_PAYLOAD_DEPTH, payloadShapeProblem } from './payload-shape';

/** Per-event limit, as for HTTP bodies. */
export const WS_MAX_EVENT_BYTES = 64 * 1024;

const KNOWN_EVENTS = new Set<string>(CLIENT_EVENT_NAMES);
const logger = new Logger('EventGuard');

export function isClientEventName(event: unknown): event is ClientEventName {
  return typeof event === 'string' && KNOWN_EVENTS.has(event);
}

/**
 * The checks every client event passes before anything else looks at it, whatever the transport:
 * a known event name, at most 64 KiB, nested at most MAX_PAYLOAD_DEPTH deep. Never throws (it runs
 * outside every Nest filter): whatever goes wrong becomes an INTERNAL refusal, never a crash.
 */
export function refuseClientEvent(event: unknown, args: readonly unknown[]): AckError | null {
  try {
    if (!isClientEventName(event)) {
      return {
        code: ErrorCode.VALIDATION_FAILED,
        message: `Unknown event "${String(event).slice(0, 64)}"`,
      };
    }
    switch (payloadShapeProblem(args, WS_MAX_EVENT_BYTES)) {
      case 'too_large':
        return {
          code: ErrorCode.PAYLOAD_TOO_LARGE,
          message: `The event payload is larger than ${WS_MAX_EVENT_BYTES} bytes`,
        };
      case 'too_deep':
        return {
          code: ErrorCode.VALIDATION_FAILED,
          message: `The event payload is nested more than ${MAX_PAYLOAD_DEPTH} levels deep`,
        };
      case null:
        return null;
    }
  } catch (error) {
    logger.error(`Event check failed: ${String(error)}`);
    return { code: ErrorCode.INTERNAL, message: 'The event could not be processed' };
  }
}
