import { Injectable, Logger, type Type } from '@nestjs/common';
import type { Ack, AckError, ClientEventName } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { mapError } from '../common/errors/error-mapping';
import { createValidationPipe } from '../common/http/validation';
import { type CompiledDtoCheck, compileDtoCheck } from '../common/validation/compiled-dto';
import { GroupMembershipService } from '../groups/group-membership.service';
import { ConversationSeqDto } from '../messaging/dto/conversation-seq.dto';
import { SendMessageDto } from '../messaging/dto/send-message.dto';
import { SyncDto } from '../messaging/dto/sync.dto';
import { ChangesService } from '../messaging/lifecycle/changes.service';
import {
  EditMessageCommandDto,
  MessageRefDto,
  ReactionCommandDto,
} from '../messaging/lifecycle/dto/message-ref.dto';
import { MessageDeletionsService } from '../messaging/lifecycle/message-deletions.service';
import { MessageEditsService } from '../messaging/lifecycle/message-edits.service';
import { ReactionsService } from '../messaging/lifecycle/reactions.service';
import { ConversationQueriesService } from '../messaging/conversation-queries.service';
import { MarkersService } from '../messaging/markers.service';
import { MessageSendingService } from '../messaging/message-sending.service';
import { SetStatusDto } from '../presence/dto/set-status.dto';
import { PresenceService } from '../presence/presence.service';
import { GroupRefDto } from './dto/group-ref.dto';
import { TypingDto } from './dto/typing.dto';
import type { RealtimeCaller } from './realtime.types';
import { TypingService } from './typing.service';

interface ClientCommand {
  /** The DTO the payload is validated into (the same class the HTTP route uses); none: no payload. */
  dto: Type<object> | null;
  /** The DTO's rules compiled once: a valid payload skips the pipe (null: the pipe always). */
  check: CompiledDtoCheck<object> | null;
  run(caller: RealtimeCaller, dto: unknown): Promise<unknown>;
}

function command<D extends object>(
  dto: Type<D>,
  run: (caller: RealtimeCaller, dto: D) => Promise<unknown>,
): ClientCommand {
  return { dto, check: compileDtoCheck(dto), run: (caller, input) => run(caller, input as D) };
}

/**
 * Every client event, for every transport (Socket.IO and plain WebSocket): one validation pass into
 * the same DTO class as the HTTP route, the same service method, and an acknowledgement with the
 * contract's shape. No Nest per-event pipeline (guards, interceptors, RxJS) runs for sockets. The
 * pass is the DTO's rules compiled once (`compileDtoCheck`); a payload it does not accept at once
 * (invalid, or not flat) goes through the validation pipe, so every refusal reads as over HTTP.
 */
@Injectable()
export class ClientCommands {
  private readonly logger = new Logger('ClientCommands');
  private readonly validation = createValidationPipe();
  private readonly commands: Record<ClientEventName, ClientCommand>;

  constructor(
    sending: MessageSendingService,
    queries: ConversationQueriesService,
    markers: MarkersService,
    groups: GroupMembershipService,
    presence: PresenceService,
    typing: TypingService,
    edits: MessageEditsService,
    deletions: MessageDeletionsService,
    reactions: ReactionsService,
    changes: ChangesService,
  ) {
    this.commands = {
      send_message: command(SendMessageDto, (caller, dto) =>
        sending.send(caller.userId, dto, caller.connectionId),
      ),
      message_delivered: command(ConversationSeqDto, (caller, dto) =>
        markers.markDelivered(caller.userId, dto.conversationID, dto.seq),
      ),
      mark_read: command(ConversationSeqDto, async (caller, dto) => {
        const result = await markers.markRead(caller.userId, dto.conversationID, dto.seq);
        return { conversationID: result.conversationID, seq: result.seq };
      }),
      typing: command(TypingDto, async (caller, dto) => {
        await typing.typing(caller, caller.connectionId, dto);
        return null;
      }),
      join_group: command(GroupRefDto, (caller, dto) => groups.join(caller.userId, dto.groupID)),
      leave_group: command(GroupRefDto, (caller, dto) => groups.leave(caller.userId, dto.groupID)),
      set_status: command(SetStatusDto, async (caller, dto) => ({
        status: await presence.setStatus(caller.userId, dto.status),
      })),
      sync: command(SyncDto, (caller, dto) => {
        if (dto.after !== undefined && dto.sinceVersion !== undefined) {
          throw AppError.validation('Give either after or sinceVersion, not both', [
            { field: 'sinceVersion', message: 'give either after or sinceVersion, not both' },
          ]);
        }
        return dto.sinceVersion !== undefined
          ? changes.changes(caller.userId, dto.conversationID, dto.sinceVersion, dto.limit ?? 100)
          : queries.sync(caller.userId, dto.conversationID, dto.after ?? 0, dto.limit ?? 100);
      }),
      edit_message: command(EditMessageCommandDto, (caller, dto) =>
        edits.edit(caller.userId, dto.messageID, {
          content: dto.content,
          ...(dto.mentions ? { mentions: dto.mentions } : {}),
        }),
      ),
      delete_message: command(MessageRefDto, async (caller, dto) => {
        await deletions.delete(caller.userId, dto.messageID);
        return null;
      }),
      add_reaction: command(ReactionCommandDto, (caller, dto) =>
        reactions.add(caller.userId, dto.messageID, dto.emoji),
      ),
      remove_reaction: command(ReactionCommandDto, (caller, dto) =>
        reactions.remove(caller.userId, dto.messageID, dto.emoji),
      ),
      ping: {
        dto: null,
        check: null,
        run: () => Promise.resolve({ timestamp: new Date().toISOString() }),
      },
    };
  }

  /** Runs a client event whose name and shape passed `refuseClientEvent`; never throws. */
  async execute(
    caller: RealtimeCaller,
    event: ClientEventName,
    payload: unknown,
  ): Promise<Ack<unknown>> {
    const handler = this.commands[event];
    try {
      let dto: unknown = payload;
      if (handler.dto) {
        dto =
          handler.check?.(payload) ??
          (await this.validation.transform(payload, { type: 'body', metatype: handler.dto }));
      }
      return { success: true, data: await handler.run(caller, dto) };
    } catch (error) {
      return { success: false, error: this.toAckError(error, event, caller) };
    }
  }

  private toAckError(error: unknown, event: string, caller: RealtimeCaller): AckError {
    const mapped = mapError(error);
    if (mapped.unexpected) {
      this.logger.error(
        { err: error instanceof Error ? error.stack : String(error), event, userId: caller.userId },
        'Unhandled socket error',
      );
    }
    return {
      code: mapped.body.code,
      message: mapped.body.message,
      ...(mapped.body.details ? { details: mapped.body.details } : {}),
      ...(mapped.retryAfterSeconds !== undefined
        ? { retryAfterMs: Math.ceil(mapped.retryAfterSeconds * 1000) }
        : {}),
    };
  }
}
