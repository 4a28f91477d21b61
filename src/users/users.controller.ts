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
  @ApiOperation({ summary: 'The caller' })
  @ApiSuccess(UserDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async me(@CurrentUser() caller: AuthenticatedUser): Promise<User> {
    return this.users.getMe(caller.userId);
  }

  @Get()
  @ApiOperation({ summary: 'Search users by username prefix' })
  @ApiSuccess(PublicUserDto, { isArray: true, maxItems: MAX_PAGE_SIZE })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async search(@Query() query: SearchUsersDto): Promise<PublicUser[]> {
    return this.users.search(query.search, query.limit ?? 20);
  }

  @Get(':userID')
  @ApiOperation({ summary: 'A public profile' })
  @ApiSuccess(PublicUserDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async profile(@Param('userID', uuidPipe('userID')) userId: string): Promise<PublicUser> {
    return this.users.getPublicProfile(userId);
  }

  @Get(':userID/status')
  @ApiOperation({ summary: 'Live presence of a user' })
  @ApiSuccess(UserStatusDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async status(@Param('userID', uuidPipe('userID')) userId: string): Promise<UserStatus> {
    return this.users.getPublicProfile(userId);
  }
}
