import { ErrorCode } from '../../../libs/contracts/src';
import { MAX_PAYLOAD_DEPTH, payloadShapeProblem } from '../payload-shape';

/** Largest client frame served (as for HTTP bodies and Socket.IO events); bigger ones get PAYLOAD_TOO_LARGE. */
export const PLAIN_WS_MAX_FRAME_BYTES = 64 * 1024;

/** Longest client-chosen frame `id` echoed in its ack. */
export const PLAIN_WS_MAX_ID_LENGTH = 64;

const FRAME_KEYS = new Set(['type', 'id', 'data']);

/** A client frame that passed the envelope checks (the payload is validated by the command's DTO). */
export interface ClientFrame {
  type: string;
  id?: string;
  data: unknown;
}

export interface FrameProblem {
  code: ErrorCode;
  message: string;
}

export type DecodedFrame =
  { ok: true; frame: ClientFrame } | { ok: false; id?: string; type?: string; error: FrameProblem };

const refuse = (
  code: ErrorCode,
  message: string,
  id?: string,
  type?: string,
): Extract<DecodedFrame, { ok: false }> => ({ ok: false, id, type, error: { code, message } });

/**
 * Decodes one client frame `{type, id?, data}`. Size is checked before parsing and depth without
 * recursion, so no frame can overflow the stack; nothing here throws. A refused frame keeps its `id`
 * when one could be read, so the caller answers with an error ack instead of an `error` event.
 */
export function decodeClientFrame(raw: Buffer | string): DecodedFrame {
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (bytes > PLAIN_WS_MAX_FRAME_BYTES) {
    return refuse(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `The frame is larger than ${PLAIN_WS_MAX_FRAME_BYTES} bytes`,
    );
  }
  let parsed: unknown;
  try {
    // V8's JSON parser is iterative: a deeply nested frame cannot overflow the stack here.
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return refuse(ErrorCode.VALIDATION_FAILED, 'The frame is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return refuse(
      ErrorCode.VALIDATION_FAILED,
      'A frame is a JSON object {"type": "<event>", "id"?: "<string>", "data": <payload>}',
    );
  }
  const envelope = parsed as Record<string, unknown>;
  const rawId = envelope.id;
  const id =
    typeof rawId === 'string' && rawId.length > 0 && rawId.length <= PLAIN_WS_MAX_ID_LENGTH
      ? rawId
      : undefined;
  if (rawId !== undefined && id === undefined) {
    return refuse(
      ErrorCode.VALIDATION_FAILED,
      `"id" must be a string of 1-${PLAIN_WS_MAX_ID_LENGTH} characters`,
    );
  }
  const type = envelope.type;
  if (typeof type !== 'string' || type.length === 0) {
    return refuse(ErrorCode.VALIDATION_FAILED, '"type" must be a non-empty string', id);
  }
  const shownType = type.slice(0, 64);
  const unknownKey = Object.keys(envelope).find((key) => !FRAME_KEYS.has(key));
  if (unknownKey !== undefined) {
    return refuse(
      ErrorCode.VALIDATION_FAILED,
      `Unknown frame field "${unknownKey.slice(0, 64)}" (a frame has type, id and data)`,
      id,
      shownType,
    );
  }
  if (payloadShapeProblem([envelope.data], PLAIN_WS_MAX_FRAME_BYTES) === 'too_deep') {
    return refuse(
      ErrorCode.VALIDATION_FAILED,
      `The frame data is nested more than ${MAX_PAYLOAD_DEPTH} levels deep`,
      id,
      shownType,
    );
  }
  return {
    ok: true,
    frame: id === undefined ? { type, data: envelope.data } : { type, id, data: envelope.data },
  };
}

/** A server event as one text frame: `{"type": "<event>", "data": <payload>}`. */
export function encodeEvent(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
}

/** The answer to a client frame that carried an `id`. */
export function encodeAck(
  id: string,
  result: { success: true; data: unknown } | { success: false; error: unknown },
): string {
  return result.success
    ? JSON.stringify({ type: 'ack', id, success: true, data: result.data ?? null })
    : JSON.stringify({ type: 'ack', id, success: false, error: result.error });
}
