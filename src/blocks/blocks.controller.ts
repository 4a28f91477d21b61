import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PublicUser } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess } from '../common/http/api-docs';
import { uuidPipe } from '../common/http/uuid-pipe';
import { PublicUserDto } from '../users/dto/user.dto';
import { BlocksService, MAX_LISTED_BLOCKS } from './blocks.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class BlocksController {
  constructor(private readonly blocks: BlocksService) {}

  @Get('blocked')
  @ApiOperation({
    summary: 'The public profiles the caller has blocked, most recent first',
    description: `At most ${MAX_LISTED_BLOCKS}.`,
  })
  @ApiSuccess(PublicUserDto, { isArray: true, maxItems: MAX_LISTED_BLOCKS })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async blocked(@CurrentUser() caller: AuthenticatedUser): Promise<PublicUser[]> {
    return this.blocks.listBlocked(caller.userId);
  }

  @Put(':userID/block')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Block a user',
    description:
      'Idempotent. While either user blocks the other, direct messages between them are 403 both ways; in ' +
      "groups messages still flow, but the blocked user's messages leave the blocker's search and mention " +
      "counts, and the blocker's presence and typing are hidden from the blocked user.",
  })
  @ApiNoContentResponse({ description: 'Blocked (or already blocked)' })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async block(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('userID', uuidPipe('userID')) userId: string,
  ): Promise<void> {
    await this.blocks.block(caller.userId, userId);
  }

  @Delete(':userID/block')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Unblock a user (idempotent)',
    description:
      "Lifts the caller's block; 204 whether or not the user was blocked. Direct messages between the two " +
      'work again unless the other user still blocks the caller. An unknown user is 404; yourself is 400.',
  })
  @ApiNoContentResponse({ description: 'Not blocked any more' })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async unblock(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('userID', uuidPipe('userID')) userId: string,
  ): Promise<void> {
    await this.blocks.unblock(caller.userId, userId);
  }
}
