import { describe, it } from 'node:test';
import { expect } from 'expect';
import { createRequire } from 'node:module';
import { textArrayLiteral } from './array-literal';

/** node-postgres' own encoder of parameters (untyped): the oracle. */
const { prepareValue } = createRequire(__filename)('pg/lib/utils') as {
  prepareValue: (value: unknown) => unknown;
};

describe('textArrayLiteral', () => {
  const tricky = [
    'hello',
    '',
    'NULL',
    'null',
    'say "hi"',
    'back\\slash',
    '\\"',
    'a,b',
    '{braces}',
    ' padded ',
    'line\nbreak\ttab',
    'emoji 😀 and ünïcödé',
    '"',
    '\\',
  ];

  it('should write what node-postgres would send for the same array', () => {
    for (const values of [tricky, [...tricky, null], [null], [], ['{a,b}', null, '{"x"}']]) {
      expect(textArrayLiteral(values)).toBe(prepareValue(values));
    }
  });

  it('should quote every element and escape only quotes and backslashes', () => {
    expect(textArrayLiteral(['a', null, 'say "hi" \\ bye'])).toBe(
      '{"a",NULL,"say \\"hi\\" \\\\ bye"}',
    );
  });
});
