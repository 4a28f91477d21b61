import { describe, it } from 'node:test';
import type { Type } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { expect } from 'expect';
import { AppError } from '../common/errors/app-error';
import { mapError } from '../common/errors/error-mapping';
import { createValidationPipe } from '../common/http/validation';
import { compileDtoCheck } from '../common/validation/compiled-dto';
import { ConversationSeqDto } from '../messaging/dto/conversation-seq.dto';
import { SendMessageDto } from '../messaging/dto/send-message.dto';
import { SyncDto } from '../messaging/dto/sync.dto';
import {
  EditMessageCommandDto,
  MessageRefDto,
  ReactionCommandDto,
} from '../messaging/lifecycle/dto/message-ref.dto';
import { SetStatusDto } from '../presence/dto/set-status.dto';
import { ClientCommands } from './client-commands';
import { GroupRefDto } from './dto/group-ref.dto';
import { TypingDto } from './dto/typing.dto';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UUID2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const uuids = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${String(index).padStart(8, '0')}${UUID.slice(8)}`);
const sparse = (): unknown[] => {
  const holes: unknown[] = [UUID];
  holes[2] = UUID2;
  return holes;
};

/** Field values: right and wrong types, limits, unicode, and the hostile values of the e2e suite. */
const VALUES: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -1,
  () => 1,
  () => 1.5,
  () => 2 ** 53 - 1,
  () => 2 ** 53,
  () => 1e19,
  () => -1e19,
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => '',
  () => ' ',
  () => 'x',
  () => 'hello, 世界',
  () => 'a'.repeat(64),
  () => 'a'.repeat(65),
  () => 'x'.repeat(10_000),
  () => 'x'.repeat(10_001),
  () => '😀'.repeat(10_000),
  () => '😀'.repeat(10_001),
  () => 'a\u0000',
  () => '\u0000',
  () => 'a\ud800',
  () => '\udc00x',
  () => 'bell\u0007',
  () => 'A'.repeat(5_000),
  () => UUID,
  () => UUID.toUpperCase(),
  () => '00000000-0000-0000-0000-000000000000',
  () => 'not-a-uuid',
  () => `${UUID}\u0000`,
  () => 'online',
  () => 'away',
  () => 'offline',
  () => 'offline\u0000',
  () => 'text',
  () => 'image',
  () => 'file',
  () => 'video',
  () => '👍',
  () => [],
  () => [UUID],
  () => [UUID, UUID2],
  () => [UUID, UUID],
  () => uuids(10),
  () => uuids(11),
  () => uuids(50),
  () => uuids(51),
  () => ['x'],
  () => [1],
  () => [null],
  () => [[UUID]],
  () => [{}],
  () => [UUID, 'a\ud800'],
  sparse,
  () => ({}),
  () => ({ $ne: null }),
  () => ({ a: { b: 1 } }),
  () => Buffer.from('x'),
  () => new Date(0),
];

/** A valid payload of each event's DTO (the mutations start from these). */
const VALID: [Type<object>, Record<string, unknown>[]][] = [
  [
    SendMessageDto,
    [
      { recipientID: UUID, content: 'hi' },
      { groupID: UUID2, content: '😀 ok', clientMessageID: 'c-1' },
      { recipientID: UUID, content: '', attachmentIDs: [UUID2], messageType: 'image' },
      { recipientID: UUID, content: 'x', replyToID: UUID2, mentions: [UUID2] },
      { groupID: UUID2, attachmentIDs: [UUID], clientMessageID: null },
    ],
  ],
  [
    ConversationSeqDto,
    [
      { conversationID: UUID, seq: 3 },
      { conversationID: 'g', seq: 0 },
    ],
  ],
  [TypingDto, [{ conversationID: UUID, isTyping: true }]],
  [GroupRefDto, [{ groupID: UUID }]],
  [SetStatusDto, [{ status: 'away' }]],
  [
    SyncDto,
    [
      { conversationID: UUID, after: 0, limit: 100 },
      { conversationID: UUID, sinceVersion: 4 },
    ],
  ],
  [EditMessageCommandDto, [{ messageID: UUID, content: 'edited' }]],
  [MessageRefDto, [{ messageID: UUID }]],
  [ReactionCommandDto, [{ messageID: UUID, emoji: '👍' }]],
];

/** Whole payloads from test/hostile-input.e2e-spec.ts, JSON with a prototype key, binary. */
const WHOLE: (() => unknown)[] = [
  () => null,
  () => undefined,
  () => 'text',
  () => 42,
  () => [],
  () => [UUID],
  () => ({}),
  () => ({ conversationID: '\u0000', groupID: '\u0000', seq: 1, after: 0 }),
  () => ({ conversationID: 'a\ud800', seq: 1, after: 0, isTyping: true }),
  () => ({ conversationID: UUID, seq: 1e19, after: 1e19, isTyping: true }),
  () => ({ conversationID: UUID, seq: -1, after: -1, limit: 0, isTyping: 'yes' }),
  () => ({ groupID: { $ne: null } }),
  () => JSON.parse(`{"recipientID":"${UUID}","content":"x","__proto__":{"a":1}}`) as unknown,
  () => JSON.parse(`{"conversationID":"${UUID}","seq":1,"constructor":{"a":1}}`) as unknown,
  () => Object.assign(Object.create(null) as object, { conversationID: UUID, seq: 1 }),
  () => Buffer.from('{}'),
];

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fieldsOf(dto: Type<object>): string[] {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    false,
    false,
  );
  return [...new Set(metadatas.map((metadata) => metadata.propertyName))];
}

/** Payload factories for one DTO: the valid ones, then random mutations of them, then WHOLE. */
function payloadsFor(dto: Type<object>, valid: Record<string, unknown>[]): (() => unknown)[] {
  const next = random(dto.name.length * 7919);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const fields = [...fieldsOf(dto), 'extra', '__proto__', 'constructor', 'toString'];
  const cases: (() => unknown)[] = valid.map((base) => () => structuredClone(base));
  for (let index = 0; index < 600; index += 1) {
    const base = pick(valid);
    const edits = Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
      field: next() < 0.9 ? pick(fieldsOf(dto)) : pick(fields),
      value: next() < 0.15 ? null : pick(VALUES),
    }));
    cases.push(() => {
      const payload = structuredClone(base);
      for (const { field, value } of edits) {
        if (value === null) {
          delete payload[field];
        } else {
          Object.defineProperty(payload, field, {
            value: value(),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
      }
      return payload;
    });
  }
  return [...cases, ...WHOLE];
}

const isScalar = (value: unknown): boolean =>
  value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value);

/** A plain object of scalars and arrays of scalars: what the compiled pass decides by itself. */
function isFlat(payload: unknown): boolean {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    [Object.prototype, null].includes(Object.getPrototypeOf(payload) as object | null) &&
    Object.values(payload).every(
      (value) => isScalar(value) || (Array.isArray(value) && value.every(isScalar)),
    )
  );
}

const pipe = createValidationPipe();

async function throughPipe(dto: Type<object>, payload: unknown): Promise<unknown> {
  try {
    return await pipe.transform(payload, { type: 'body', metatype: dto });
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
}

function label(payload: unknown): string {
  try {
    return (JSON.stringify(payload) ?? String(payload)).slice(0, 160);
  } catch {
    return String(payload);
  }
}

describe('compiled DTO checks for socket events', () => {
  for (const [dto, valid] of VALID) {
    it(`should accept for ${dto.name} exactly what the validation pipe accepts, into an equal DTO`, async () => {
      const check = compileDtoCheck(dto);
      expect(check).not.toBeNull();
      let accepted = 0;
      let refused = 0;
      for (const payload of payloadsFor(dto, valid)) {
        const compiled = check?.(payload());
        const piped = await throughPipe(dto, payload());
        const pipeAccepts = !(piped instanceof AppError);
        // A nested value the pipe would accept (only under a field class-transformer drops, such
        // as `toString`) is left to the pipe by design; on flat payloads the answers are equal.
        expect({ payload: label(payload()), accepts: compiled !== undefined }).toEqual({
          payload: label(payload()),
          accepts: pipeAccepts && isFlat(payload()),
        });
        if (compiled !== undefined) {
          accepted += 1;
          expect(compiled).toStrictEqual(piped);
        } else {
          refused += 1;
        }
      }
      // Both sides of the boundary are exercised, not only the obvious refusals.
      expect(accepted).toBeGreaterThan(valid.length + 20);
      expect(refused).toBeGreaterThan(100);
    });
  }
});

describe('ClientCommands.execute on the hot events', () => {
  const received: unknown[] = [];
  const echo = (...args: unknown[]) => {
    received.push(args[args.length - 1]);
    return Promise.resolve({ conversationID: 'c', seq: 1 });
  };
  const stub = new Proxy({}, { get: () => echo });
  const commands = new ClientCommands(
    { send: (_user: string, dto: unknown) => echo(dto) } as never,
    stub as never,
    {
      markDelivered: (_user: string, conversationID: string, seq: number) =>
        echo({ conversationID, seq }),
      markRead: (_user: string, conversationID: string, seq: number) =>
        echo({ conversationID, seq }),
    } as never,
    stub as never,
    stub as never,
    { typing: (_caller: unknown, _id: string, dto: unknown) => echo(dto) } as never,
    stub as never,
    stub as never,
    stub as never,
    stub as never,
  );
  const caller = { userId: UUID, sessionId: UUID2, connectionId: 'socket-1' } as never;
  const hot = [
    ['send_message', SendMessageDto],
    ['message_delivered', ConversationSeqDto],
    ['mark_read', ConversationSeqDto],
    ['typing', TypingDto],
  ] as const;

  for (const [event, dto] of hot) {
    it(`should give ${event}'s service the pipe's DTO and its client the pipe's refusal`, async () => {
      const valid = VALID.find(([type]) => type === dto)?.[1] ?? [];
      for (const payload of payloadsFor(dto, valid).slice(0, 250)) {
        received.length = 0;
        const ack = await commands.execute(caller, event, payload());
        const piped = await throughPipe(dto, payload());
        if (piped instanceof AppError) {
          const { body } = mapError(piped);
          expect(ack).toEqual({
            success: false,
            error: {
              code: body.code,
              message: body.message,
              ...(body.details ? { details: body.details } : {}),
            },
          });
        } else {
          expect(ack.success).toBe(true);
          // (markers get the DTO's two fields, the others the DTO instance itself)
          expect(received).toEqual([piped]);
          if (event === 'send_message' || event === 'typing') {
            expect(received[0]).toBeInstanceOf(dto);
          }
        }
      }
    });
  }
});
