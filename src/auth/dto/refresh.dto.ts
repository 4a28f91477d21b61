import { IsString, Length } from 'class-validator';
import type { RefreshRequest } from '../../../libs/contracts/src';

export class RefreshDto implements RefreshRequest {
  /** The refresh token from login or the previous refresh; each can be used once. */
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}
