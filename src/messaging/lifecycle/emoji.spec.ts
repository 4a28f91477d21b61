import { describe, it } from 'node:test';
import { expect } from 'expect';
import { normaliseEmoji } from './emoji';

describe('normaliseEmoji', () => {
  it('should fold U+FE0F so the text and emoji presentations are one reaction', () => {
    expect(normaliseEmoji('\u2764\uFE0F')).toBe('\u2764');
    expect(normaliseEmoji('\u2764')).toBe('\u2764');
  });

  it('should accept one grapheme cluster: ZWJ families, skin tones, flags and keycaps', () => {
    for (const emoji of ['👍', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', '🏳️‍🌈']) {
      expect(normaliseEmoji(emoji)).toBe(emoji.normalize('NFC').replace(/\uFE0F/g, ''));
    }
  });

  it('should accept short names and nothing like them', () => {
    expect(normaliseEmoji(':thumbs_up:')).toBe(':thumbs_up:');
    expect(normaliseEmoji(':+1:')).toBe(':+1:');
    expect(normaliseEmoji(':Thumbs:')).toBeNull();
    expect(normaliseEmoji(`:${'a'.repeat(33)}:`)).toBeNull();
    expect(normaliseEmoji('::')).toBeNull();
  });

  it('should refuse two emoji, letters, digits, blanks and a lone selector', () => {
    for (const bad of ['👍👍', 'a', 'ab', '1', ' ', '', '\uFE0F', '👍 ', 'x'.repeat(100)]) {
      expect(normaliseEmoji(bad)).toBeNull();
    }
  });
});
