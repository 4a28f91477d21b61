import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import { RateLimitService } from '../../common/rate-limit/rate-limit.service';
import { MessagingService } from '../messaging.service';
import type { TypingDto } from './dto/typing.dto';
import { RealtimeServer } from './realtime-server';
import { userRoom } from './realtime.types';

/**
 * Typing indicators: authorised (the caller must be an active participant), rate limited per socket,
 * forwarded to the other participants' sockets and never stored. Who takes part is answered from
 * MessagingService's short-lived conversation cache, so a burst of typing costs no queries.
 */
@Injectable()
export class TypingService {
  constructor(
    private readonly messaging: MessagingService,
    private readonly rateLimits: RateLimitService,
    private readonly realtime: RealtimeServer,
  ) {}

  async typing(user: AuthenticatedUser, socketId: string, dto: TypingDto): Promise<void> {
    await this.rateLimits.consume('typing', socketId);
    const audience = await this.messaging.activeParticipantIds(user.userId, dto.conversationID);
    const rooms = audience.participantIds.filter((id) => id !== user.userId).map(userRoom);
    if (rooms.length) {
      this.realtime.server?.to(rooms).emit('typing', {
        conversationID: audience.conversationId,
        userID: user.userId,
        isTyping: dto.isTyping,
      });
    }
  }
}
