import { IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import type { LoginRequest } from '../../../libs/contracts/src';

/** PostgreSQL text cannot hold NUL: an identifier with one would fail the lookup query with a 500. */
const NO_NUL = /^[^\0]*$/;

export class LoginDto implements LoginRequest {
  /**
   * Username (or leave out and give `email`).
   * @example john_doe
   */
  @ValidateIf((body: LoginDto) => body.username !== undefined || body.email === undefined)
  @IsString({ message: 'username or email is required' })
  @Length(1, 254)
  @Matches(NO_NUL, { message: 'username must not contain NUL characters' })
  username?: string;

  /**
   * Email (instead of `username`).
   * @example john@example.com
   */
  @IsOptional()
  @IsString()
  @Length(1, 254)
  @Matches(NO_NUL, { message: 'email must not contain NUL characters' })
  email?: string;

  /** @example secure-password-123 */
  @IsString()
  @MaxLength(128)
  @Length(1, 128)
  password!: string;
}
