import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { RegisterRequest } from '../../../libs/contracts/src';

export class RegisterDto implements RegisterRequest {
  /**
   * 3-32 characters of `A-Z a-z 0-9 _ . -`; unique case-insensitively.
   * @example john_doe
   */
  @ApiProperty({ minLength: 3, maxLength: 32 })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, {
    message: 'username must be 3 to 32 characters of A-Z a-z 0-9 _ . -',
  })
  username!: string;

  /**
   * Unique case-insensitively.
   * @example john@example.com
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;

  /**
   * 8-128 characters.
   * @example secure-password-123
   */
  @IsString()
  @Length(8, 128, { message: 'password must be 8 to 128 characters' })
  password!: string;
}
