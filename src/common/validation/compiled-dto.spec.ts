import 'reflect-metadata';
import { describe, it } from 'node:test';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { expect } from 'expect';
import { compileDtoCheck } from './compiled-dto';

class Inner {
  @IsString()
  name!: string;
}

class Lenient {
  @Type(() => Number)
  @IsInt()
  n!: number;
}

class Nested {
  @ValidateNested()
  inner!: Inner;
}

class Trimmed {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  name!: string;

  @IsOptional()
  @IsInt()
  n?: number;
}

class WithMethod {
  @IsString()
  name!: string;

  shout(): string {
    return this.name.toUpperCase();
  }
}

describe('compileDtoCheck', () => {
  it('should leave to the pipe every DTO whose transformation it does not reproduce', () => {
    expect(compileDtoCheck(Lenient)).toBeNull();
    expect(compileDtoCheck(Nested)).toBeNull();
    expect(compileDtoCheck(WithMethod)).toBeNull();
  });

  it('should apply @Transform and the rules in one pass, and refuse what it is not sure of', () => {
    const check = compileDtoCheck(Trimmed);
    const dto = check?.({ name: '  ada ' });
    expect(dto).toBeInstanceOf(Trimmed);
    expect(dto).toEqual({ name: 'ada' });
    expect(check?.({ name: 'ada', n: 1.5 })).toBeUndefined();
    expect(check?.({ name: 'ada', other: 1 })).toBeUndefined();
    expect(check?.({ name: 'a\u0000' })).toBeUndefined();
    expect(check?.({ name: 'ada', n: 2 ** 53 })).toBeUndefined();
    expect(check?.({ name: { trim: 'x' } })).toBeUndefined();
    expect(check?.(['ada'])).toBeUndefined();
  });
});
