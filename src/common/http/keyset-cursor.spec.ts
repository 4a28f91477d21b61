import { describe, it } from 'node:test';
import { expect } from 'expect';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('keyset cursor', () => {
  it('should round-trip a cursor the server issues', () => {
    const at = '2026-01-15T10:30:00.123456Z';
    expect(decodeKeysetCursor(encodeKeysetCursor(at, ID))).toEqual({ at, id: ID });
  });

  for (const at of [
    '0000-01-01T00:00:00.000000Z',
    '1969-12-31T23:59:59.999999Z',
    '2026-13-01T00:00:00.000000Z',
    '2026-02-31T00:00:00.000000Z',
    '2026-01-15T10:30:00.123Z',
  ]) {
    it(`should refuse a cursor the server could not have issued (${at})`, () => {
      expect(() => decodeKeysetCursor(encodeKeysetCursor(at, ID))).toThrow('cursor is not valid');
    });
  }

  it('should refuse garbage, extra parts and a non-uuid id', () => {
    for (const cursor of [
      'not base64!',
      encodeKeysetCursor('2026-01-15T10:30:00.123456Z', 'nope'),
      encodeKeysetCursor('2026-01-15T10:30:00.123456Z', `${ID}|x`),
    ]) {
      expect(() => decodeKeysetCursor(cursor)).toThrow('cursor is not valid');
    }
  });
});
