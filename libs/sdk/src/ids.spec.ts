import { describe, it } from 'node:test';
import { expect } from 'expect';
import { newClientMessageId } from './ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('SDK clientMessageID', () => {
  it('should make v4 UUIDs without crypto.randomUUID (browsers on plain http have none)', () => {
    Object.defineProperty(globalThis.crypto, 'randomUUID', {
      value: undefined,
      configurable: true,
    });
    try {
      const ids = new Set(Array.from({ length: 100 }, () => newClientMessageId()));
      expect(ids.size).toBe(100);
      for (const id of ids) {
        expect(id).toMatch(UUID_V4);
      }
    } finally {
      delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(newClientMessageId()).toMatch(UUID_V4);
  });
});
