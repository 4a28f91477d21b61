import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Message, UnreadSummary } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess, MAX_PAGE_SIZE } from '../common/http/api-docs';
import { Paginated } from '../common/http/paginated';
import { uuidPipe } from '../common/http/uuid-pipe';
import { HistoryQueryDto } from './dto/history-query.dto';
import { MessageDto, ReadMarkerDto, UnreadSummaryDto } from './dto/message.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { ConversationQueriesService } from './conversation-queries.service';
import { MarkersService } from './markers.service';
import { MessageSendingService } from './message-sending.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly sending: MessageSendingService,
    private readonly queries: ConversationQueriesService,
    private readonly markers: MarkersService,
  ) {}

  @Post('send')
  @ApiOperation({
    summary: 'Send a direct or group message',
    description:
      'Exactly one of recipientID / groupID. The 201 goes out only after the message is committed and handed to ' +
      'fan-out. A resend with the same clientMessageID returns the first message (and delivers it again); the same ' +
      'clientMessageID with a different body is 409.',
  })
  @ApiSuccess(MessageDto, { status: 201 })
  @ApiErrors(
    ErrorCode.UNAUTHORIZED,
    ErrorCode.FORBIDDEN,
    ErrorCode.NOT_FOUND,
    ErrorCode.CONFLICT,
    ErrorCode.RATE_LIMITED,
  )
  async send(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: SendMessageDto,
  ): Promise<Message> {
    return this.sending.send(caller.userId, body);
  }

  @Get('history/:conversationID')
  @ApiOperation({
    summary: 'Message history',
    description:
      'conversationID may be a conversation id, a group id, or the other user of a direct conversation. Newest ' +
      'first; with `after`, oldest first. pagination.nextCursor is the seq to pass as `before` (or `after`).',
  })
  @ApiParam({ name: 'conversationID', description: 'Conversation id, group id, or peer user id' })
  @ApiSuccess(MessageDto, { isArray: true, maxItems: MAX_PAGE_SIZE, paginated: true })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async history(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('conversationID') conversationId: string,
    @Query() query: HistoryQueryDto,
  ): Promise<Paginated<Message>> {
    const page = await this.queries.history(caller.userId, conversationId, query);
    return new Paginated(page.messages, page.pagination);
  }

  @Get('unread')
  @ApiOperation({
    summary: "Unread counts: messages after the caller's read marker not sent by the caller",
    description:
      'One entry per conversation the caller takes part in, most recent first and without paging; a group ' +
      'they left counts only up to when they left. `mentionCount` (and the `mentions` total) counts unread, ' +
      'undeleted messages that mention the caller, leaving out senders the caller blocks.',
  })
  @ApiSuccess(UnreadSummaryDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async unread(@CurrentUser() caller: AuthenticatedUser): Promise<UnreadSummary> {
    return this.queries.unread(caller.userId);
  }

  @Put(':messageID/read')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Mark the conversation read up to this message',
    description:
      "Moves the caller's read marker (and delivery marker) to the message's seq, never backwards; when it " +
      "moves, participants' sockets (the caller's too) get message_read. A message the caller cannot read " +
      '(unknown, or sent after they left the group) is 404; not a participant is 403 (404 for a private group).',
  })
  @ApiSuccess(ReadMarkerDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async markRead(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
  ): Promise<ReadMarkerDto> {
    return this.markers.markMessageRead(caller.userId, messageId);
  }
}
