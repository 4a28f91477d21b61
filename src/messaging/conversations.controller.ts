import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ConversationSummary } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess, MAX_PAGE_SIZE } from '../common/http/api-docs';
import { Paginated } from '../common/http/paginated';
import { ListConversationsDto } from './dto/list-conversations.dto';
import { MarkReadDto } from './dto/mark-read.dto';
import { ConversationDto, ReadMarkerDto } from './dto/message.dto';
import { ConversationQueriesService } from './conversation-queries.service';
import { MarkersService } from './markers.service';

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly queries: ConversationQueriesService,
    private readonly markers: MarkersService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "The caller's conversations, most recent first",
    description:
      'Conversations the caller takes part in now (not groups they left), ordered by last message time ' +
      '(creation time if none). Each carries the peer or group, `lastMessage`, `unreadCount` and the current ' +
      '`version` for the changes feed. Pass `pagination.nextCursor` as `cursor` for the next page.',
  })
  @ApiSuccess(ConversationDto, { isArray: true, maxItems: MAX_PAGE_SIZE, paginated: true })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async list(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListConversationsDto,
  ): Promise<Paginated<ConversationSummary>> {
    const page = await this.queries.conversations(caller.userId, query.limit ?? 20, query.cursor);
    return new Paginated(page.items, page.pagination);
  }

  @Post(':conversationID/read')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Move the caller's read marker (never backwards); default: the latest message",
    description:
      'A `seq` past the newest message the caller may read is capped to it; one below the marker leaves it ' +
      "as is. The delivery marker moves too, and when the read marker moves, participants' sockets (the " +
      "caller's too) get message_read. Not a participant is 403 (404 for a private group).",
  })
  @ApiParam({ name: 'conversationID', description: 'Conversation id, group id, or peer user id' })
  @ApiSuccess(ReadMarkerDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async read(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('conversationID') conversationId: string,
    @Body() body: MarkReadDto,
  ): Promise<ReadMarkerDto> {
    return this.markers.markRead(caller.userId, conversationId, body.seq);
  }
}
