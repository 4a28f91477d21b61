import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PublicUser, User, UserStatus } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess, MAX_PAGE_SIZE } from '../common/http/api-docs';
import { uuidPipe } from '../common/http/uuid-pipe';
import { PublicUserDto, UserDto, UserStatusDto } from './dto/user.dto';
import { SearchUsersDto } from './dto/search-users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({
    summary: 'The caller',
    description:
      "The signed-in user's own account: the public profile fields plus `email` and `createdAt`. 401 if " +
      'the account no longer exists.',
  })
  @ApiSuccess(UserDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async me(@CurrentUser() caller: AuthenticatedUser): Promise<User> {
    return this.users.getMe(caller.userId);
  }

  @Get()
  @ApiOperation({
    summary: 'Search users by username prefix',
    description:
      'Case-insensitive match on the start of the username, sorted by username; without `search`, the first ' +
      'users by username. `limit` is 1-100 (default 20) and there is no next page. Each profile carries live ' +
      '`status` and `lastSeen`.',
  })
  @ApiSuccess(PublicUserDto, { isArray: true, maxItems: MAX_PAGE_SIZE })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async search(@Query() query: SearchUsersDto): Promise<PublicUser[]> {
    return this.users.search(query.search, query.limit ?? 20);
  }

  @Get(':userID')
  @ApiOperation({
    summary: 'A public profile',
    description:
      'Any signed-in user may read any profile: `id`, `username`, live `status` and `lastSeen` (never the ' +
      'email). 404 if there is no such user; an id that is not a UUID is 400.',
  })
  @ApiSuccess(PublicUserDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async profile(@Param('userID', uuidPipe('userID')) userId: string): Promise<PublicUser> {
    return this.users.getPublicProfile(userId);
  }

  @Get(':userID/status')
  @ApiOperation({
    summary: 'Live presence of a user',
    description:
      '`online` while any socket of the user is connected, `away` when they set it, `offline` a few seconds ' +
      'after their last socket closes (a quick reconnect does not flap). `lastSeen` is now while connected, ' +
      'else when they were last connected (null if never). 404 if there is no such user.',
  })
  @ApiSuccess(UserStatusDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async status(@Param('userID', uuidPipe('userID')) userId: string): Promise<UserStatus> {
    return this.users.getPublicProfile(userId);
  }
}
