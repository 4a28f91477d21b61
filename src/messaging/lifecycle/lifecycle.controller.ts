import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ConversationChanges, Message } from '../../../libs/contracts/src';
import {
  CurrentUser,
  type AuthenticatedUser,
} from '../../common/decorators/current-user.decorator';
import { ErrorCode } from '../../common/errors/app-error';
import { ApiErrors, ApiSuccess, MAX_PAGE_SIZE } from '../../common/http/api-docs';
import { Paginated } from '../../common/http/paginated';
import { uuidPipe } from '../../common/http/uuid-pipe';
import { MessageDto } from '../dto/message.dto';
import { ChangesService } from './changes.service';
import { ChangesQueryDto } from './dto/changes-query.dto';
import { ConversationChangesDto } from './dto/conversation-changes.dto';
import { EditMessageDto } from './dto/edit-message.dto';
import { RepliesQueryDto } from './dto/replies-query.dto';
import { MessageDeletionsService } from './message-deletions.service';
import { MessageEditsService } from './message-edits.service';
import { ReactionsService } from './reactions.service';
import { ThreadsService } from './threads.service';

const EMOJI_PARAM = {
  name: 'emoji',
  description:
    'One emoji (URL-encoded; compared after NFC with U+FE0F removed) or a short name like :thumbs_up:',
  example: '%F0%9F%91%8D',
  // Decoded, at most 64 UTF-16 code units (src/messaging/lifecycle/emoji.ts refuses longer).
  schema: { type: 'string', minLength: 1, maxLength: 64 },
};

/** Edits, deletions, reactions, threads and the change feed (SPEC 4, "Message lifecycle"). */
@ApiBearerAuth()
@Controller()
export class LifecycleController {
  constructor(
    private readonly edits: MessageEditsService,
    private readonly deletions: MessageDeletionsService,
    private readonly reactions: ReactionsService,
    private readonly threads: ThreadsService,
    private readonly changeFeed: ChangesService,
  ) {}

  @Patch('messages/:messageID')
  @ApiTags('messages')
  @ApiOperation({
    summary: 'Edit a message',
    description:
      'The sender only; within EDIT_WINDOW_SECONDS when set (else 403). A deleted message is 404. The same ' +
      'content (and mentions) again changes nothing. Participants get message_updated.',
  })
  @ApiSuccess(MessageDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async edit(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
    @Body() body: EditMessageDto,
  ): Promise<Message> {
    return this.edits.edit(caller.userId, messageId, body);
  }

  @Delete('messages/:messageID')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiTags('messages')
  @ApiOperation({
    summary: 'Delete a message (idempotent)',
    description:
      'The sender, or an owner or admin of the group. The message becomes a tombstone: same id and seq, ' +
      'deleted: true, content "", no reactions, mentions or attachments. Participants get message_deleted.',
  })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async delete(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
  ): Promise<void> {
    await this.deletions.delete(caller.userId, messageId);
  }

  @Put('messages/:messageID/reactions/:emoji')
  @HttpCode(HttpStatus.OK)
  @ApiTags('messages')
  @ApiOperation({
    summary: 'Add a reaction (idempotent: one per user per emoji)',
    description:
      'Any participant who can read the message. At most 50 distinct emoji (the 51st is 409).',
  })
  @ApiParam(EMOJI_PARAM)
  @ApiSuccess(MessageDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT)
  async addReaction(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
    @Param('emoji') emoji: string,
  ): Promise<Message> {
    return this.reactions.add(caller.userId, messageId, emoji);
  }

  @Delete('messages/:messageID/reactions/:emoji')
  @ApiTags('messages')
  @ApiOperation({
    summary: "Remove the caller's reaction (idempotent)",
    description:
      'Removing a reaction the caller has not made changes nothing and returns the message as it is. A real ' +
      "removal takes the conversation's next version and participants get message_updated. The caller must " +
      'still be a participant (403 otherwise); a deleted or unknown message is 404, a malformed emoji 400.',
  })
  @ApiParam(EMOJI_PARAM)
  @ApiSuccess(MessageDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async removeReaction(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
    @Param('emoji') emoji: string,
  ): Promise<Message> {
    return this.reactions.remove(caller.userId, messageId, emoji);
  }

  @Get('messages/:messageID/replies')
  @ApiTags('messages')
  @ApiOperation({
    summary: "The thread's replies, oldest first",
    description:
      'The thread of this message (its root, or itself). pagination.nextCursor is the seq to pass as `after`.',
  })
  @ApiSuccess(MessageDto, { isArray: true, maxItems: MAX_PAGE_SIZE, paginated: true })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async replies(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('messageID', uuidPipe('messageID')) messageId: string,
    @Query() query: RepliesQueryDto,
  ): Promise<Paginated<Message>> {
    const page = await this.threads.replies(caller.userId, messageId, query);
    return new Paginated(page.messages, page.pagination);
  }

  @Get('conversations/:conversationID/changes')
  @ApiTags('conversations')
  @ApiOperation({
    summary: 'Messages changed after a version',
    description:
      'Every message whose version is above sinceVersion, in version order, each once in its current state ' +
      '(tombstones included). `version` is the version reached once the page is applied; page on while hasMore.',
  })
  @ApiParam({ name: 'conversationID', description: 'Conversation id, group id, or peer user id' })
  @ApiSuccess(ConversationChangesDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async changes(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('conversationID') conversationId: string,
    @Query() query: ChangesQueryDto,
  ): Promise<ConversationChanges> {
    return this.changeFeed.changes(caller.userId, conversationId, query.sinceVersion, query.limit);
  }
}
