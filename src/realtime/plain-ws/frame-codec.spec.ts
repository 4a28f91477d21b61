import { describe, it } from 'node:test';
import { expect } from 'expect';
import { decodeClientFrame, encodeAck, encodeEvent, PLAIN_WS_MAX_FRAME_BYTES } from './frame-codec';

describe('plain WebSocket frame codec', () => {
  it('should decode a frame with type, id and data', () => {
    const decoded = decodeClientFrame(
      Buffer.from('{"type":"send_message","id":"a1","data":{"content":"hi"}}'),
    );
    expect(decoded).toEqual({
      ok: true,
      frame: { type: 'send_message', id: 'a1', data: { content: 'hi' } },
    });
  });

  it('should decode a frame without id or data', () => {
    expect(decodeClientFrame('{"type":"ping"}')).toEqual({
      ok: true,
      frame: { type: 'ping', data: undefined },
    });
  });

  it('should refuse text that is not JSON', () => {
    expect(decodeClientFrame('not json')).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'The frame is not valid JSON' },
    });
  });

  it('should refuse JSON that is not an object', () => {
    for (const raw of ['[1,2]', '"text"', '42', 'null']) {
      expect(decodeClientFrame(raw)).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    }
  });

  it('should refuse a missing or empty type but keep the id for the error ack', () => {
    expect(decodeClientFrame('{"id":"x","data":{}}')).toMatchObject({
      ok: false,
      id: 'x',
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(decodeClientFrame('{"type":"","id":"x"}')).toMatchObject({ ok: false, id: 'x' });
  });

  it('should refuse an id that is not a string of 1-64 characters', () => {
    for (const id of ['""', '7', `"${'x'.repeat(65)}"`, '{}']) {
      const decoded = decodeClientFrame(`{"type":"ping","id":${id}}`);
      expect(decoded).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      expect(decoded).not.toHaveProperty('id', expect.anything());
    }
    expect(decodeClientFrame(`{"type":"ping","id":"${'x'.repeat(64)}"}`)).toMatchObject({
      ok: true,
    });
  });

  it('should refuse unknown frame fields', () => {
    expect(decodeClientFrame('{"type":"ping","id":"1","extra":true}')).toMatchObject({
      ok: false,
      id: '1',
      type: 'ping',
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('extra') },
    });
  });

  it('should refuse a frame over 64 KiB as PAYLOAD_TOO_LARGE without parsing it', () => {
    const content = 'x'.repeat(PLAIN_WS_MAX_FRAME_BYTES);
    expect(decodeClientFrame(`{"type":"send_message","data":{"content":"${content}"}}`)).toEqual({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) as unknown },
    });
    // Not JSON either, but the size is what the client is told about.
    expect(decodeClientFrame(Buffer.alloc(PLAIN_WS_MAX_FRAME_BYTES + 1, 0x7b))).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
  });

  it('should refuse data nested deeper than the limit without overflowing the stack', () => {
    const depth = 20_000;
    const raw = `{"type":"sync","id":"deep","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(raw.length).toBeLessThan(PLAIN_WS_MAX_FRAME_BYTES);
    expect(decodeClientFrame(raw)).toMatchObject({
      ok: false,
      id: 'deep',
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('nested') },
    });
  });

  it('should encode events and acks as the SPEC frames', () => {
    expect(JSON.parse(encodeEvent('message', { id: 'm' }))).toEqual({
      type: 'message',
      data: { id: 'm' },
    });
    expect(JSON.parse(encodeAck('1', { success: true, data: undefined }))).toEqual({
      type: 'ack',
      id: '1',
      success: true,
      data: null,
    });
    expect(
      JSON.parse(encodeAck('2', { success: false, error: { code: 'NOT_FOUND', message: 'no' } })),
    ).toEqual({
      type: 'ack',
      id: '2',
      success: false,
      error: { code: 'NOT_FOUND', message: 'no' },
    });
  });
});
