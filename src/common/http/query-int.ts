import { Transform } from 'class-transformer';

/** Plain decimal digits, optionally negative (so `Min` can say what is wrong), at most 16 of them. */
const DECIMAL = /^-?\d{1,16}$/;

/**
 * Parses an integer query parameter strictly: `42` is 42, while `0x10`, `1e3`, ` 7`, `1.0` and the
 * empty string stay strings and fail `@IsInt()` with a 400 (`Number()` would read them as 16, 1000,
 * 7, 1 and 0). Values with more than 16 digits stay strings too; pair it with `@Max`.
 */
export function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value,
  );
}
