import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Message } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess } from '../common/http/api-docs';
import { Paginated } from '../common/http/paginated';
import { MessageDto } from '../messaging/dto/message.dto';
import { SearchMessagesDto } from './dto/search-messages.dto';
import { SearchService } from './search.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Get('search')
  @ApiOperation({
    summary: 'Full-text search over the messages the caller can read',
    description:
      'PostgreSQL full-text search (`simple` configuration: case-insensitive, any language) in web-search ' +
      'syntax ("quoted phrases", -excluded). Every conversation the caller can read (for a group they left, up ' +
      'to when they left); never deleted messages, never messages from users the caller blocks. Newest first; ' +
      'pass pagination.nextCursor as `cursor` for the next page.',
  })
  @ApiSuccess(MessageDto, { isArray: true, paginated: true, maxItems: 100 })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async find(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: SearchMessagesDto,
  ): Promise<Paginated<Message>> {
    const page = await this.search.search(caller.userId, query);
    return new Paginated(page.messages, page.pagination);
  }
}
