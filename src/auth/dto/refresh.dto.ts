import { IsString, Length } from 'class-validator';

export class RefreshDto {
  /** The refresh token from login or the previous refresh; each can be used once. */
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}
