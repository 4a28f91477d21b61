import type { ErrorDetail } from '../../../libs/contracts/src';
import { AppError } from '../errors/app-error';

/** Deepest nesting of objects and arrays any client input may have (the contract's deepest is 3). */
export const MAX_INPUT_DEPTH = 32;

/** Keys that reach for an object's prototype: never a field of ours, always an attack. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True for a key the sanity pass refuses wherever it appears. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

interface Pending {
  value: unknown;
  path: string;
  depth: number;
}

/** Longest field name quoted back in an error (a hostile key can be 60 KB long). */
const MAX_KEY_ECHO = 64;

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') {
    return `${parent}[${key}]`;
  }
  const name = key.length > MAX_KEY_ECHO ? `${key.slice(0, MAX_KEY_ECHO)}...` : key;
  return parent ? `${parent}.${name}` : name;
}

/** `String.prototype.isWellFormed` (Node 20; the ES2024 typings are not in this project's lib). */
export function isWellFormedString(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function stringProblem(value: string): string | null {
  if (!isWellFormedString(value)) {
    return 'must be well-formed Unicode (no lone surrogates)';
  }
  if (value.includes('\u0000')) {
    return 'must not contain NUL characters';
  }
  return null;
}

function numberIsSane(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
}

/**
 * True when `value` is a string, number, boolean, null or undefined that `findInputProblem` accepts:
 * the same rules, for a caller that walks a flat payload itself (the compiled DTO checks).
 */
export function isSaneScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return stringProblem(value) === null;
    case 'number':
      return numberIsSane(value);
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      return value === null;
    case 'bigint':
    case 'function':
    case 'symbol':
      return false;
  }
}

/**
 * The first thing wrong with a piece of decoded client input (a body, a query, a path parameter, a
 * socket payload), or null. Runs before class-transformer and class-validator, which recurse and
 * throw on what this refuses: nesting deeper than MAX_INPUT_DEPTH (a stack overflow, so a 500),
 * strings that are not well-formed Unicode (validators throw URIError; PostgreSQL silently turns
 * them into U+FFFD, so two different bodies compare equal), NUL characters (PostgreSQL text cannot
 * hold them), numbers outside the safe integer range (no field of the contract needs one, and
 * PostgreSQL bigint overflows past 2^63), and prototype keys (silently dropped otherwise). Iterative:
 * an explicit stack, never recursion, so no input can overflow the call stack here either.
 */
export function findInputProblem(input: unknown, root = ''): ErrorDetail | null {
  const stack: Pending[] = [{ value: input, path: root, depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop() as Pending;
    const field = path || 'body';
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) {
        return { field, message: `${field} ${problem}` };
      }
      continue;
    }
    if (typeof value === 'number') {
      if (!numberIsSane(value)) {
        return { field, message: `${field} must be a number from -(2^53-1) to 2^53-1` };
      }
      continue;
    }
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      continue;
    }
    if (depth >= MAX_INPUT_DEPTH) {
      return { field, message: `${field} is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    }
    if (Array.isArray(value)) {
      const items = value as unknown[];
      for (let index = items.length - 1; index >= 0; index -= 1) {
        stack.push({ value: items[index], path: childPath(path, index), depth: depth + 1 });
      }
      continue;
    }
    const keys = Object.keys(value);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index];
      const keyPath = childPath(path, key);
      if (FORBIDDEN_KEYS.has(key)) {
        return { field: keyPath, message: `${key} is not an accepted field name` };
      }
      const keyProblem = stringProblem(key);
      if (keyProblem) {
        return { field: path || 'body', message: `field names ${keyProblem}` };
      }
      stack.push({
        value: (value as Record<string, unknown>)[key],
        path: keyPath,
        depth: depth + 1,
      });
    }
  }
  return null;
}

/** Throws VALIDATION_FAILED with the offending field's path when `findInputProblem` finds one. */
export function assertSaneInput(input: unknown, root = ''): void {
  const problem = findInputProblem(input, root);
  if (problem) {
    throw AppError.validation(problem.message, [problem]);
  }
}
