import { CLIENT_EVENT_NAMES, ErrorCode } from '../../../libs/contracts/src';
import { WS_MAX_EVENT_BYTES } from '../../common/ws/socket-io.adapter';
import type { AppSocket } from './realtime.types';

const KNOWN_EVENTS = new Set<string>(CLIENT_EVENT_NAMES);

type Packet = [event: string, ...args: unknown[]];

function payloadBytes(args: unknown[]): number {
  let total = 0;
  for (const arg of args) {
    if (typeof arg === 'function' || arg === undefined) {
      continue;
    }
    total += Buffer.byteLength(typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? ''));
    if (total > WS_MAX_EVENT_BYTES) {
      break;
    }
  }
  return total;
}

/**
 * Per-socket packet middleware, ahead of the gateway: an unknown event name or an event over 64 KiB is
 * answered with an error (ack when the client gave one, else an `error` event) and dropped. The
 * socket stays connected either way.
 */
export function eventGuard(socket: AppSocket) {
  return (packet: Packet, next: (error?: Error) => void): void => {
    const [event, ...args] = packet;
    let code: ErrorCode | null = null;
    let message = '';
    if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) {
      code = ErrorCode.VALIDATION_FAILED;
      message = `Unknown event "${String(event).slice(0, 64)}"`;
    } else if (payloadBytes(args) > WS_MAX_EVENT_BYTES) {
      code = ErrorCode.PAYLOAD_TOO_LARGE;
      message = `The event payload is larger than ${WS_MAX_EVENT_BYTES} bytes`;
    }
    if (!code) {
      next();
      return;
    }
    const ack = args[args.length - 1];
    if (typeof ack === 'function') {
      (ack as (response: unknown) => void)({ success: false, error: { code, message } });
    } else {
      socket.emit('error', {
        code,
        message,
        event: typeof event === 'string' ? event.slice(0, 64) : undefined,
      });
    }
  };
}
