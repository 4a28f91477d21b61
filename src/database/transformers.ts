import type { ValueTransformer } from 'typeorm';

/** PostgreSQL `bigint` arrives as a string from `pg`; sequence numbers stay far below 2^53. */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
