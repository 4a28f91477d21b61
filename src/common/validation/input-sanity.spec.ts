import { describe, it } from 'node:test';
import { expect } from 'expect';
import { AppError } from '../errors/app-error';
import { assertSaneInput, findInputProblem, MAX_INPUT_DEPTH } from './input-sanity';

function nestedArrays(depth: number): unknown {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level += 1) {
    value = [value];
  }
  return value;
}

describe('findInputProblem', () => {
  it('should accept ordinary input, including emoji and the deepest allowed nesting', () => {
    expect(
      findInputProblem({ name: 'Backend 🚀', tags: ['a', 'b'], seq: 42, ok: true, none: null }),
    ).toBeNull();
    expect(findInputProblem(nestedArrays(MAX_INPUT_DEPTH))).toBeNull();
    expect(findInputProblem('plain')).toBeNull();
    expect(findInputProblem(undefined)).toBeNull();
  });

  it('should refuse 100,000 levels of nesting without overflowing the stack', () => {
    expect(findInputProblem(nestedArrays(100_000))).toMatchObject({
      message: expect.stringContaining('nested more than'),
    });
    expect(findInputProblem({ a: nestedArrays(MAX_INPUT_DEPTH) })).toMatchObject({
      field: `a${'[0]'.repeat(MAX_INPUT_DEPTH - 1)}`,
    });
  });

  it('should refuse lone surrogates and NUL in values and keys, naming the field', () => {
    expect(findInputProblem({ user: { email: 'a\ud800@x.io' } })).toMatchObject({
      field: 'user.email',
      message: expect.stringContaining('well-formed Unicode'),
    });
    expect(findInputProblem({ list: ['ok', 'b\u0000'] })).toMatchObject({
      field: 'list[1]',
      message: expect.stringContaining('NUL'),
    });
    expect(findInputProblem({ ['k\udc00']: 1 })).toMatchObject({ field: 'body' });
    expect(findInputProblem('\u0000', 'groupID')).toMatchObject({ field: 'groupID' });
  });

  it('should quote at most 64 characters of a hostile field name back', () => {
    const problem = findInputProblem({ ['k'.repeat(10_000)]: 'a\u0000' });
    expect(problem?.field).toBe(`${'k'.repeat(64)}...`);
  });

  it('should refuse prototype keys at any depth', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const parsed: unknown = JSON.parse(`{"a":{"${key}":{"x":1}}}`);
      expect(findInputProblem(parsed)).toMatchObject({ field: `a.${key}` });
    }
  });

  it('should refuse numbers outside the safe integer range and non-finite ones', () => {
    for (const value of [1e19, -1e19, 2 ** 53, Infinity, NaN]) {
      expect(findInputProblem({ seq: value })).toMatchObject({ field: 'seq' });
    }
    expect(findInputProblem({ seq: Number.MAX_SAFE_INTEGER, other: -5, f: 0.5 })).toBeNull();
  });

  it('should throw VALIDATION_FAILED with details from assertSaneInput', () => {
    expect(() => assertSaneInput({ name: 'a\u0000' })).toThrow(AppError);
    try {
      assertSaneInput({ name: 'a\u0000' });
    } catch (error) {
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'name', message: expect.any(String) }],
      });
    }
  });
});
