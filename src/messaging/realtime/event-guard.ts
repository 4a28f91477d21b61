import { Logger } from '@nestjs/common';
import { CLIENT_EVENT_NAMES, ErrorCode } from '../../../libs/contracts/src';
import { WS_MAX_EVENT_BYTES } from '../../common/ws/socket-io.adapter';
import { MAX_PAYLOAD_DEPTH, payloadShapeProblem } from './payload-shape';
import type { AppSocket } from './realtime.types';

const KNOWN_EVENTS = new Set<string>(CLIENT_EVENT_NAMES);
const logger = new Logger('EventGuard');

type Packet = [event: string, ...args: unknown[]];

function refusal(packet: Packet): { code: ErrorCode; message: string } | null {
  const [event, ...args] = packet;
  if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) {
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
}

/**
 * Per-socket packet middleware, ahead of the gateway: an unknown event name, an event over 64 KiB or
 * one nested too deeply is answered with an error (ack when the client gave one, else an `error`
 * event) and dropped. It runs outside every Nest filter, so nothing in it may throw: whatever goes
 * wrong becomes an INTERNAL answer to this socket, never a crash of the process. The socket stays
 * connected either way.
 */
export function eventGuard(socket: AppSocket) {
  return (packet: Packet, next: (error?: Error) => void): void => {
    let problem: { code: ErrorCode; message: string } | null;
    try {
      problem = refusal(packet);
    } catch (error) {
      logger.error(`Event check failed: ${String(error)}`);
      problem = { code: ErrorCode.INTERNAL, message: 'The event could not be processed' };
    }
    if (!problem) {
      next();
      return;
    }
    const event = packet[0];
    const ack = packet[packet.length - 1];
    try {
      if (packet.length > 1 && typeof ack === 'function') {
        (ack as (response: unknown) => void)({ success: false, error: problem });
      } else {
        socket.emit('error', {
          ...problem,
          event: typeof event === 'string' ? event.slice(0, 64) : undefined,
        });
      }
    } catch (error) {
      logger.error(`Could not answer a refused event: ${String(error)}`);
    }
  };
}
