import { AppError } from '../../common/errors/app-error';

const SHORT_NAME = /^:[a-z0-9_+-]{1,32}:$/;
/** Something that makes a grapheme cluster an emoji: a pictograph, a flag's letters, a keycap. */
const EMOJI_MARK = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const MAX_INPUT = 64;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The stored form of a reaction emoji, or null when `raw` is none: one grapheme cluster that is an
 * emoji, compared after NFC with U+FE0F (the emoji presentation selector) removed, or a short name
 * `:like_this:`. So "❤️" and "❤" are the same reaction.
 */
export function normaliseEmoji(raw: string): string | null {
  if (raw.length === 0 || raw.length > MAX_INPUT) {
    return null;
  }
  if (SHORT_NAME.test(raw)) {
    return raw;
  }
  const folded = raw.normalize('NFC').replace(/\uFE0F/g, '');
  if (folded.length === 0 || !EMOJI_MARK.test(folded)) {
    return null;
  }
  let clusters = 0;
  for (const _ of segmenter.segment(folded)) {
    clusters += 1;
    if (clusters > 1) {
      return null;
    }
  }
  return folded;
}

export function requireEmoji(raw: string): string {
  const emoji = normaliseEmoji(raw);
  if (emoji === null) {
    throw AppError.validation('emoji must be one emoji or a :short_name:', [
      { field: 'emoji', message: 'emoji must be one emoji or match ^:[a-z0-9_+-]{1,32}:$' },
    ]);
  }
  return emoji;
}
