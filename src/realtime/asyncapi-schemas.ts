import { ErrorCode, MESSAGE_TYPES } from '../../libs/contracts/src';

/** Building blocks and shared schemas of the AsyncAPI document (see asyncapi.ts). */
export type Schema = Record<string, unknown>;

export const uuid: Schema = { type: 'string', format: 'uuid' };
export const time: Schema = { type: 'string', format: 'date-time' };
export const seq: Schema = { type: 'integer', minimum: 0 };
export const conversationRef: Schema = {
  type: 'string',
  maxLength: 64,
  description: "A conversation id, a group id, or (direct conversations) the peer's user id",
};
export const obj = (
  properties: Record<string, Schema>,
  required = Object.keys(properties),
): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const schemas: Record<string, Schema> = {
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
        description: 'Empty only for a deleted message (a tombstone) or one sent with attachments',
      },
      messageType: { type: 'string', enum: [...MESSAGE_TYPES] },
      clientMessageID: { type: 'string', maxLength: 64, nullable: true },
      timestamp: time,
      delivered: { type: 'boolean' },
      read: { type: 'boolean' },
      deliveredCount: { type: 'integer', description: 'Group messages only' },
      readCount: { type: 'integer', description: 'Group messages only' },
      version: {
        type: 'integer',
        minimum: 1,
        description: "The conversation's version when this message last changed",
      },
      editedAt: { ...time, nullable: true },
      deleted: { type: 'boolean' },
      replyToID: { ...uuid, nullable: true },
      threadRootID: { ...uuid, nullable: true },
      replyCount: { type: 'integer', minimum: 0 },
      lastReplyAt: { ...time, nullable: true },
      mentions: { type: 'array', items: uuid, maxItems: 50 },
      reactions: {
        type: 'array',
        maxItems: 50,
        description: 'Totals per emoji, in order of first use',
        items: obj({
          emoji: { type: 'string', maxLength: 64 },
          count: { type: 'integer', minimum: 1 },
          userIDs: { type: 'array', items: uuid },
        }),
      },
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
      'version',
      'editedAt',
      'deleted',
      'replyToID',
      'threadRootID',
      'replyCount',
      'lastReplyAt',
      'mentions',
      'reactions',
      'attachments',
    ],
  ),
  Changes: obj({
    messages: { type: 'array', items: { $ref: '#/components/schemas/Message' }, maxItems: 100 },
    version: { type: 'integer', minimum: 0 },
    hasMore: { type: 'boolean' },
  }),
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

export const ackOf = (data: Schema): Schema => ({
  oneOf: [obj({ success: { const: true }, data }), ref('ErrorAck')],
});
