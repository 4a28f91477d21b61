import { IsOptional, IsString, Length, MaxLength, ValidateIf } from 'class-validator';

export class LoginDto {
  /**
   * Username (or leave out and give `email`).
   * @example john_doe
   */
  @ValidateIf((body: LoginDto) => body.username !== undefined || body.email === undefined)
  @IsString({ message: 'username or email is required' })
  @Length(1, 254)
  username?: string;

  /**
   * Email (instead of `username`).
   * @example john@example.com
   */
  @IsOptional()
  @IsString()
  @Length(1, 254)
  email?: string;

  /** @example secure-password-123 */
  @IsString()
  @MaxLength(128)
  @Length(1, 128)
  password!: string;
}
