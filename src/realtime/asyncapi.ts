import {
  CLIENT_EVENT_NAMES,
  MESSAGE_TYPES,
  type ClientToServerEvents,
  ErrorCode,
  SERVER_EVENT_NAMES,
  type ServerToClientEvents,
  WS_PATH,
} from '../../libs/contracts/src';
import { plainWsAsyncApi } from './plain-ws/plain-ws.asyncapi';
import {
  ackOf,
  conversationRef,
  obj,
  ref,
  type Schema,
  schemas,
  seq,
  time,
  uuid,
} from './asyncapi-schemas';

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
        messageType: { type: 'string', enum: [...MESSAGE_TYPES] },
        clientMessageID: { type: 'string', minLength: 1, maxLength: 64 },
        attachmentIDs: {
          type: 'array',
          maxItems: 10,
          uniqueItems: true,
          items: uuid,
          description: "The sender's uploads (POST /api/attachments) not yet attached",
        },
        replyToID: uuid,
        mentions: { type: 'array', items: uuid, maxItems: 50 },
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
    summary:
      'With after: messages with seq > after, oldest first. With sinceVersion instead: the messages changed ' +
      'since that version, as GET /api/conversations/{id}/changes (limit 1-100, default 100).',
    payload: {
      oneOf: [
        obj(
          {
            conversationID: conversationRef,
            after: seq,
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
          },
          ['conversationID', 'after'],
        ),
        obj(
          {
            conversationID: conversationRef,
            sinceVersion: seq,
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
          },
          ['conversationID', 'sinceVersion'],
        ),
      ],
    },
    ack: {
      oneOf: [
        obj({
          success: { const: true },
          data: obj({
            messages: { type: 'array', items: ref('Message'), maxItems: 100 },
            hasMore: { type: 'boolean' },
          }),
        }),
        obj({ success: { const: true }, data: ref('Changes') }),
        ref('ErrorAck'),
      ],
    },
  },
  edit_message: {
    summary:
      'Edit a message (as PATCH /api/messages/{messageID}): the sender only; participants get message_updated.',
    payload: obj(
      {
        messageID: uuid,
        content: { type: 'string', minLength: 1, maxLength: 10000 },
        mentions: { type: 'array', items: uuid, maxItems: 50 },
      },
      ['messageID', 'content'],
    ),
    ack: ackOf(ref('Message')),
  },
  delete_message: {
    summary:
      'Delete a message (as DELETE /api/messages/{messageID}); idempotent; participants get message_deleted.',
    payload: obj({ messageID: uuid }),
    ack: ackOf({ type: 'null' }),
  },
  add_reaction: {
    summary: 'React (as PUT /api/messages/{messageID}/reactions/{emoji}); idempotent.',
    payload: obj({ messageID: uuid, emoji: { type: 'string', maxLength: 64 } }),
    ack: ackOf(ref('Message')),
  },
  remove_reaction: {
    summary: 'Take a reaction back (as DELETE /api/messages/{messageID}/reactions/{emoji}).',
    payload: obj({ messageID: uuid, emoji: { type: 'string', maxLength: 64 } }),
    ack: ackOf(ref('Message')),
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
      'A participant confirmed receipt up to seq (sent to the senders of the messages it covers). Confirmations by one reader in one server turn arrive as one event with the highest seq.',
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
  message_updated: {
    summary:
      'An edit, a reaction change, or a thread root whose reply summary changed: the whole message in its new ' +
      "state, to every participant's sockets. Apply only if its version is above the one held.",
    payload: obj({ message: ref('Message') }),
  },
  message_deleted: {
    summary:
      "A message became a tombstone (same id and seq), to every participant's sockets. A version gap means " +
      'sync with sinceVersion.',
    payload: obj({ conversationID: uuid, id: uuid, seq, version: { type: 'integer', minimum: 1 } }),
  },
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
  const plain = plainWsAsyncApi();
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Messaging API realtime events',
      version: '1.0.0',
      description:
        'Socket.IO 4 on path /ws of the HTTP port. Authenticate with io(url, {path: "/ws", auth: {token}}) ' +
        'or ?token=; a missing, bad, expired or revoked token fails the handshake with connect_error ' +
        '"UNAUTHORIZED" (data {code, message}). A handshake the server cannot take now (the token ' +
        'could not be checked, or opt-in connect admission: the event loop is late or too many handshakes ' +
        'are in flight, checked before the token) fails with connect_error "UNAVAILABLE" (data ' +
        '{code, message, retryAfterMs}): reconnect after retryAfterMs plus jitter. Operations with action "receive" are events the server receives from clients; ' +
        'each takes an acknowledgement callback answered with x-ack. The same events also travel as ' +
        'JSON frames over a plain WebSocket on the same path (server "plain", channel plain_ws). ' +
        'See docs/websocket-events.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3000',
        pathname: WS_PATH,
        protocol: 'ws',
        description: 'Socket.IO (engine.io v4): websocket first, HTTP long-polling as fallback',
      },
      plain: plain.server,
    },
    channels: { ...channels, ...plain.channels },
    operations: { ...operations, ...plain.operations },
    components: {
      schemas: { ...schemas, ...plain.schemas },
      messages: { ...messages, ...plain.messages },
    },
  };
}
