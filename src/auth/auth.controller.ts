import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { LoginResult, TokenPair, User } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess } from '../common/http/api-docs';
import { UserDto } from '../users/dto/user.dto';
import { AuthRateLimitGuard } from './auth-rate-limit.guard';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { LoginResultDto, TokenPairDto } from './dto/token-pair.dto';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('users/register')
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Returns the new account without tokens: sign in with POST /api/users/login. A username or email ' +
      'already taken (compared case-insensitively) is 409 naming the field. Counts toward RATE_LIMIT_AUTH ' +
      '(requests per minute per client IP).',
  })
  @ApiSuccess(UserDto, { status: 201 })
  @ApiErrors(ErrorCode.CONFLICT, ErrorCode.RATE_LIMITED)
  async register(@Body() body: RegisterDto): Promise<User> {
    return this.auth.register(body);
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('users/login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign in with username (or email) and password',
    description:
      'Returns an access token (valid `expiresIn` seconds, for HTTP and the socket handshake), a single-use ' +
      'refresh token and the user. Every wrong identifier/password pair gets the same 401. 429 past ' +
      'RATE_LIMIT_AUTH requests per client IP, or past RATE_LIMIT_LOGIN_FAILURES failed logins for one ' +
      'account in 15 minutes, from any IP.',
  })
  @ApiSuccess(LoginResultDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.RATE_LIMITED)
  async login(@Body() body: LoginDto): Promise<LoginResult> {
    return this.auth.login(body);
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('auth/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (the old one stops working)',
    description:
      'Each refresh token works once. Presenting one that was already exchanged is reuse: the session is ' +
      'revoked (its access tokens stop working too) and its sockets are disconnected. Any invalid, expired ' +
      'or revoked token is 401; counts toward RATE_LIMIT_AUTH.',
  })
  @ApiSuccess(TokenPairDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.RATE_LIMITED)
  async refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken);
  }

  @ApiBearerAuth()
  @Post('auth/logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "End the caller's session: its refresh token is revoked and its sockets disconnected",
    description:
      "Only the session of the access token used ends; the user's other sessions are unaffected. That " +
      "session's sockets get an `error` event (UNAUTHORIZED) and are closed, and its access and refresh " +
      'tokens are refused with 401 from then on (by other instances within 5 seconds: each caches a ' +
      'session check that long).',
  })
  @ApiNoContentResponse({ description: 'Signed out' })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async logout(@CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.auth.logout(caller.userId, caller.sessionId);
  }
}
