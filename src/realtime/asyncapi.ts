import {
  CLIENT_EVENT_NAMES,
  type ClientToServerEvents,
  ErrorCode,
  SERVER_EVENT_NAMES,
  type ServerToClientEvents,
  WS_PATH,
} from '../../libs/contracts/src';

type Schema = Record<string, unknown>;

const uuid: Schema = { type: 'string', format: 'uuid' };
const time: Schema = { type: 'string', format: 'date-time' };
const seq: Schema = { type: 'integer', minimum: 0 };
const conversationRef: Schema = {
  type: 'string',
  maxLength: 64,
  description: "A conversation id, a group id, or (direct conversations) the peer's user id",
};
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const schemas: Record<string, Schema> = {
  Message: obj(
    {
      id: uuid,
      conversationID: uuid,
      seq: { type: 'integer', minimum: 1 },
      senderID: uuid,
      recipientID: { ...uuid, nullable: true },
      groupID: { ...uuid, nullable: true },
      content: {
        type: 'string',
        maxLength: 10000,
        description: '1-10,000 code points; empty only with attachments',
      },
      messageType: { type: 'string', enum: ['text', 'image', 'file'] },
      clientMessageID: { type: 'string', maxLength: 64, nullable: true },
      timestamp: time,
      delivered: { type: 'boolean' },
      read: { type: 'boolean' },
      deliveredCount: { type: 'integer', description: 'Group messages only' },
      readCount: { type: 'integer', description: 'Group messages only' },
      attachments: {
        type: 'array',
        maxItems: 10,
        items: obj({
          id: uuid,
          filename: { type: 'string', maxLength: 255 },
          contentType: { type: 'string', maxLength: 127 },
          size: { type: 'integer', minimum: 1 },
          width: { type: 'integer', nullable: true },
          height: { type: 'integer', nullable: true },
        }),
      },
    },
    [
      'id',
      'conversationID',
      'seq',
      'senderID',
      'recipientID',
      'groupID',
      'content',
      'messageType',
      'clientMessageID',
      'timestamp',
      'delivered',
      'read',
      'attachments',
    ],
  ),
  ErrorBody: obj(
    {
      code: { type: 'string', enum: Object.values(ErrorCode) },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: obj({ field: { type: 'string' }, message: { type: 'string' } }),
      },
    },
    ['code', 'message'],
  ),
  ErrorAck: obj({ success: { const: false }, error: ref('ErrorBody') }),
};

const ackOf = (data: Schema): Schema => ({
  oneOf: [obj({ success: { const: true }, data }), ref('ErrorAck')],
});

interface EventDoc {
  summary: string;
  payload: Schema;
  ack?: Schema;
}

/** Payloads of what clients emit (docs/websocket-events.md), keyed by the contract's event map. */
const clientEvents: Record<keyof ClientToServerEvents, EventDoc> = {
  send_message: {
    summary:
      'Send a message (same body as POST /api/messages/send). The ack is the "sent" confirmation.',
    payload: obj(
      {
        recipientID: uuid,
        groupID: uuid,
        content: {
          type: 'string',
          maxLength: 10000,
          description: '1-10,000 code points; may be empty or left out with attachmentIDs',
        },
        messageType: { type: 'string', enum: ['text', 'image', 'file'] },
        clientMessageID: { type: 'string', minLength: 1, maxLength: 64 },
        attachmentIDs: {
          type: 'array',
          maxItems: 10,
          uniqueItems: true,
          items: uuid,
          description: "The sender's uploads (POST /api/attachments) not yet attached",
        },
      },
      [],
    ),
    ack: ackOf(ref('Message')),
  },
  message_delivered: {
    summary: 'Confirm receipt of everything up to seq; the sender gets message_delivered.',
    payload: obj({ conversationID: conversationRef, seq }),
    ack: ackOf(obj({ conversationID: uuid, seq })),
  },
  mark_read: {
    summary: 'Move the read marker (never backwards); other participants get message_read.',
    payload: obj({ conversationID: conversationRef, seq }),
    ack: ackOf(obj({ conversationID: uuid, seq })),
  },
  typing: {
    summary: 'Typing indicator for the other participants; never stored; rate limited per socket.',
    payload: obj({ conversationID: conversationRef, isTyping: { type: 'boolean' } }),
    ack: ackOf({ type: 'null' }),
  },
  join_group: {
    summary: 'Join a public group (as POST /api/groups/{groupID}/join).',
    payload: obj({ groupID: uuid }),
    ack: ackOf(
      obj({
        groupID: uuid,
        userID: uuid,
        role: { type: 'string', enum: ['owner', 'admin', 'member'] },
        joinedAt: time,
      }),
    ),
  },
  leave_group: {
    summary: 'Leave a group (as DELETE /api/groups/{groupID}/leave).',
    payload: obj({ groupID: uuid }),
    ack: ackOf(
      obj({
        groupID: uuid,
        userID: uuid,
        left: { const: true },
        newOwnerID: { ...uuid, nullable: true },
      }),
    ),
  },
  set_status: {
    summary: 'Presence while connected.',
    payload: obj({ status: { type: 'string', enum: ['online', 'away'] } }),
    ack: ackOf(obj({ status: { type: 'string', enum: ['online', 'away', 'offline'] } })),
  },
  sync: {
    summary: 'Messages with seq > after, oldest first (limit 1-100, default 100).',
    payload: obj(
      {
        conversationID: conversationRef,
        after: seq,
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
      },
      ['conversationID', 'after'],
    ),
    ack: ackOf(
      obj({ messages: { type: 'array', items: ref('Message') }, hasMore: { type: 'boolean' } }),
    ),
  },
  ping: {
    summary: 'Liveness: acked, and a pong event follows.',
    payload: { description: 'Ignored' },
    ack: ackOf(obj({ timestamp: time })),
  },
};

const presenceStatus: Schema = { type: 'string', enum: ['online', 'away', 'offline'] };

/** Payloads of what the server emits. */
const serverEvents: Record<keyof ServerToClientEvents, EventDoc> = {
  connected: {
    summary: 'First event after the handshake; catch-up follows.',
    payload: obj({ userID: uuid, timestamp: time }),
  },
  message: {
    summary:
      "A message for the user: to every socket of every recipient and to the sender's other sockets; also pushed by catch-up. Drop duplicates by id.",
    payload: ref('Message'),
  },
  message_delivered: {
    summary:
      'A participant confirmed receipt up to seq (sent to the senders of the messages it covers).',
    payload: obj({ conversationID: uuid, seq, userID: uuid, deliveredAt: time }),
  },
  message_read: {
    summary: "A participant read up to seq (also sent to the reader's other devices).",
    payload: obj({ conversationID: uuid, seq, userID: uuid, readAt: time }),
  },
  typing: {
    summary: 'Another participant is (or stopped) typing.',
    payload: obj({ conversationID: uuid, userID: uuid, isTyping: { type: 'boolean' } }),
  },
  presence: {
    summary: 'Presence of someone who shares a conversation with the user (or of the user).',
    payload: obj({ userID: uuid, status: presenceStatus, lastSeen: { ...time, nullable: true } }),
  },
  group_member_joined: {
    summary: 'Someone joined a group of the user.',
    payload: obj({ groupID: uuid, userID: uuid }),
  },
  group_member_left: {
    summary: 'Someone left (or was removed from) a group of the user; the leaver gets it too.',
    payload: obj({ groupID: uuid, userID: uuid }),
  },
  sync_required: {
    summary: 'Catch-up pushed only the newest page: fetch seq in (after, upTo] with sync.',
    payload: obj({ conversationID: uuid, after: seq, upTo: seq }),
  },
  caught_up: {
    summary: 'Ends the catch-up that follows connected.',
    payload: obj({ messages: { type: 'integer' }, syncRequired: { type: 'integer' } }),
  },
  pong: { summary: 'Answer to ping.', payload: obj({ timestamp: time }) },
  shutdown: {
    summary: 'The server is going down: the connection closes next; reconnect after a pause.',
    payload: obj({ reconnect: { const: true }, retryAfterMs: { type: 'integer' } }),
  },
  error: {
    summary:
      'An error for an event sent without an ack callback, a failed catch-up, or a revoked session (the socket is then disconnected).',
    payload: obj(
      {
        code: { type: 'string', enum: Object.values(ErrorCode) },
        message: { type: 'string' },
        event: { type: 'string' },
        details: {
          type: 'array',
          items: obj({ field: { type: 'string' }, message: { type: 'string' } }),
        },
      },
      ['code', 'message'],
    ),
  },
};

/**
 * The machine-readable Socket.IO contract (AsyncAPI 3.0), built from the event maps in
 * libs/contracts: a missing or extra event fails to compile. Served at /docs/asyncapi.json and
 * written to docs/asyncapi.json (an e2e test keeps the two equal).
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const add = (direction: 'client' | 'server', name: string, doc: EventDoc) => {
    const id = `${direction}_${name}`;
    messages[id] = {
      name,
      summary: doc.summary,
      payload: doc.payload,
      ...(doc.ack ? { 'x-ack': doc.ack } : {}),
    };
    channels[id] = {
      address: name,
      messages: { [name]: { $ref: `#/components/messages/${id}` } },
    };
    operations[id] = {
      action: direction === 'client' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: doc.summary,
      ...(doc.ack
        ? {
            reply: {
              channel: { $ref: `#/channels/${id}` },
              messages: [{ $ref: `#/channels/${id}/messages/${name}` }],
            },
          }
        : {}),
    };
  };
  for (const name of CLIENT_EVENT_NAMES) {
    add('client', name, clientEvents[name]);
  }
  for (const name of SERVER_EVENT_NAMES) {
    add('server', name, serverEvents[name]);
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Messaging API realtime events',
      version: '1.0.0',
      description:
        'Socket.IO 4 on path /ws of the HTTP port. Authenticate with io(url, {path: "/ws", auth: {token}}) ' +
        'or ?token=; a missing, bad, expired or revoked token fails the handshake with connect_error ' +
        '"UNAUTHORIZED". Operations with action "receive" are events the server receives from clients; ' +
        'each takes an acknowledgement callback answered with x-ack. See docs/websocket-events.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3000',
        pathname: WS_PATH,
        protocol: 'ws',
        description: 'Socket.IO (engine.io v4): websocket first, HTTP long-polling as fallback',
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
