import { ApiProperty } from '@nestjs/swagger';
import { UserDto } from '../../users/dto/user.dto';
import type { LoginResult, TokenPair } from '../../../libs/contracts/src';

export class TokenPairDto implements TokenPair {
  /** JWT for `Authorization: Bearer` and the socket handshake; 15 minutes. */
  @ApiProperty({ maxLength: 2048, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' })
  accessToken!: string;
  /** Opaque, single use: exchange it at POST /api/auth/refresh. */
  @ApiProperty({ maxLength: 512 })
  refreshToken!: string;
  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';
  /** Access token lifetime in seconds. @example 900 */
  expiresIn!: number;
}

export class LoginResultDto extends TokenPairDto implements LoginResult {
  user!: UserDto;
}
