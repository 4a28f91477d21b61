import { describe, it } from 'node:test';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { expect } from 'expect';
import { AppError } from '../errors/app-error';
import { validateInput } from './validation';

class LenientDto {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  n!: number;

  @IsOptional()
  @IsString()
  s?: string;
}

async function failure(value: unknown): Promise<AppError> {
  try {
    await validateInput(LenientDto, value);
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a validation failure');
}

describe('validateInput', () => {
  it('should return the DTO instance for valid input', async () => {
    const dto = await validateInput(LenientDto, { n: '5', s: 'ok' });
    expect(dto).toBeInstanceOf(LenientDto);
    expect(dto).toEqual(Object.assign(new LenientDto(), { n: 5, s: 'ok' }));
  });

  it('should refuse a number a lenient DTO conversion makes out of range', async () => {
    expect(await failure({ n: '1e19' })).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'n' }],
    });
  });

  it('should refuse deep nesting, NUL and unknown fields with VALIDATION_FAILED, never a RangeError', async () => {
    let deep: unknown = 1;
    for (let level = 0; level < 50_000; level += 1) {
      deep = { d: deep };
    }
    expect(await failure({ n: 1, s: deep })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await failure({ n: 1, s: 'a\u0000' })).toMatchObject({ details: [{ field: 's' }] });
    expect(await failure({ n: 1, other: true })).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
