import {
  CLIENT_EVENT_NAMES,
  ErrorCode,
  SERVER_EVENT_NAMES,
  WS_PATH,
} from '../../../libs/contracts/src';
import { PLAIN_WS_MAX_FRAME_BYTES, PLAIN_WS_MAX_ID_LENGTH } from './frame-codec';
import { PLAIN_WS_MAX_MISSED_PONGS, PLAIN_WS_PING_INTERVAL_MS } from './heartbeat';

type Schema = Record<string, unknown>;

const frameId: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: PLAIN_WS_MAX_ID_LENGTH,
  description: 'Chosen by the client; echoed in the ack',
};

const errorBody: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    code: { type: 'string', enum: Object.values(ErrorCode) },
    message: { type: 'string' },
    details: { type: 'array', items: { type: 'object' } },
    retryAfterMs: { type: 'integer' },
  },
  required: ['code', 'message'],
};

const schemas: Record<string, Schema> = {
  PlainClientFrame: {
    type: 'object',
    additionalProperties: false,
    description:
      `One text frame, at most ${PLAIN_WS_MAX_FRAME_BYTES} bytes. \`data\` is the payload of the ` +
      'Socket.IO event of the same name (the client_* messages of this document).',
    properties: {
      type: { type: 'string', enum: [...CLIENT_EVENT_NAMES] },
      id: frameId,
      data: { description: 'The event payload' },
    },
    required: ['type'],
  },
  PlainEventFrame: {
    type: 'object',
    additionalProperties: false,
    description: 'A server event; `data` is the payload of the server_* message of the same name.',
    properties: {
      type: { type: 'string', enum: [...SERVER_EVENT_NAMES] },
      data: { description: 'The event payload' },
    },
    required: ['type', 'data'],
  },
  PlainAckFrame: {
    oneOf: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: { const: 'ack' },
          id: frameId,
          success: { const: true },
          data: { description: "The x-ack data of the client event's Socket.IO acknowledgement" },
        },
        required: ['type', 'id', 'success', 'data'],
      },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: { const: 'ack' },
          id: frameId,
          success: { const: false },
          error: errorBody,
        },
        required: ['type', 'id', 'success', 'error'],
      },
    ],
  },
};

/**
 * The plain-WebSocket transport (SPEC 5b) in the AsyncAPI document: its server, the frame envelope
 * schemas and one channel carrying them. The events inside the frames are the Socket.IO channels'.
 */
export function plainWsAsyncApi(): {
  server: Schema;
  channels: Record<string, unknown>;
  operations: Record<string, unknown>;
  messages: Record<string, unknown>;
  schemas: Record<string, Schema>;
} {
  const channel = { $ref: '#/channels/plain_ws' };
  const message = (name: string) => ({ $ref: `#/channels/plain_ws/messages/${name}` });
  return {
    server: {
      host: 'localhost:3000',
      pathname: WS_PATH,
      protocol: 'ws',
      description:
        'Plain WebSocket with JSON text frames, for clients without Socket.IO: ' +
        'ws://host/ws?token=<accessToken> (no EIO parameter; an Authorization: Bearer header also ' +
        'works). A missing, bad, expired or revoked token refuses the upgrade with HTTP 401. ' +
        'An upgrade the server cannot take now (the token could not be checked, or connect ' +
        'admission, opt-in: the event loop is late or too many handshakes are in flight, checked before the ' +
        'token) is refused with HTTP 503, the error envelope (code UNAVAILABLE) and Retry-After ' +
        '(seconds): retry after it plus jitter. ' +
        `The server pings every ${PLAIN_WS_PING_INTERVAL_MS / 1000} s and closes a connection that ` +
        `leaves ${PLAIN_WS_MAX_MISSED_PONGS} pings unanswered.`,
    },
    channels: {
      plain_ws: {
        address: WS_PATH,
        servers: [{ $ref: '#/servers/plain' }],
        title: 'Plain WebSocket frames',
        description:
          'Every event of this document as a frame {"type": <event>, "data": <payload>}; a client ' +
          'frame with an id is answered by an ack frame. Bad frames get an error frame (or an error ' +
          'ack) and the connection stays open.',
        messages: {
          plain_client_frame: { $ref: '#/components/messages/plain_client_frame' },
          plain_event_frame: { $ref: '#/components/messages/plain_event_frame' },
          plain_ack_frame: { $ref: '#/components/messages/plain_ack_frame' },
        },
      },
    },
    operations: {
      plain_client_frame: {
        action: 'receive',
        channel,
        summary: 'A client event frame; answered with an ack frame when it has an id.',
        messages: [message('plain_client_frame')],
        reply: { channel, messages: [message('plain_ack_frame')] },
      },
      plain_event_frame: {
        action: 'send',
        channel,
        summary: 'A server event frame: connected first, then catch-up, then live events.',
        messages: [message('plain_event_frame')],
      },
    },
    messages: {
      plain_client_frame: {
        name: 'plain_client_frame',
        summary: 'Client frame {type, id?, data}',
        payload: { $ref: '#/components/schemas/PlainClientFrame' },
      },
      plain_event_frame: {
        name: 'plain_event_frame',
        summary: 'Server event frame {type, data}',
        payload: { $ref: '#/components/schemas/PlainEventFrame' },
      },
      plain_ack_frame: {
        name: 'plain_ack_frame',
        summary: 'Ack frame {type: "ack", id, success, data | error}',
        payload: { $ref: '#/components/schemas/PlainAckFrame' },
      },
    },
    schemas,
  };
}
