import { Injectable } from '@nestjs/common';
import { BlocksService } from '../blocks/blocks.service';
import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { RateLimitService } from '../common/rate-limit/rate-limit.service';
import { MarkersService } from '../messaging/markers.service';
import { RealtimeDelivery } from './delivery';
import type { TypingDto } from './dto/typing.dto';

/**
 * Typing indicators: authorised (the caller must be an active participant), rate limited per
 * connection, forwarded to the other participants' connections and never stored. Who takes part is
 * answered from the messaging conversation cache, so a burst of typing costs no queries.
 */
@Injectable()
export class TypingService {
  constructor(
    private readonly markers: MarkersService,
    private readonly rateLimits: RateLimitService,
    private readonly delivery: RealtimeDelivery,
    private readonly blocks: BlocksService,
  ) {}

  async typing(user: AuthenticatedUser, connectionId: string, dto: TypingDto): Promise<void> {
    await this.rateLimits.consume('typing', connectionId);
    const audience = await this.markers.activeParticipantIds(user.userId, dto.conversationID);
    // Users the typist blocks do not see them typing (a cached set: no query per keystroke).
    const hidden = await this.blocks.blockedBy(user.userId);
    const others = audience.participantIds.filter((id) => id !== user.userId && !hidden.has(id));
    this.delivery.toUsers(others, 'typing', {
      conversationID: audience.conversationId,
      userID: user.userId,
      isTyping: dto.isTyping,
    });
  }
}
