import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import { RateLimitService } from '../../common/rate-limit/rate-limit.service';
import { GROUP_EVENTS } from '../../groups/groups.events';
import { MessagingService } from '../messaging.service';
import type { TypingDto } from './dto/typing.dto';
import { RealtimeServer } from './realtime-server';
import { userRoom } from './realtime.types';

const AUDIENCE_TTL_MS = 3_000;
const AUDIENCE_CACHE_MAX = 10_000;

interface Audience {
  conversationId: string;
  participantIds: string[];
  expiresAt: number;
}

/**
 * Typing indicators: authorised (the caller must be an active participant), rate limited per socket,
 * forwarded to the other participants' sockets and never stored. Typing comes in bursts, so who is
 * in a conversation is cached for a few seconds (and forgotten on any membership change).
 */
@Injectable()
export class TypingService {
  private readonly audiences = new Map<string, Audience>();

  constructor(
    private readonly messaging: MessagingService,
    private readonly rateLimits: RateLimitService,
    private readonly realtime: RealtimeServer,
  ) {}

  async typing(user: AuthenticatedUser, socketId: string, dto: TypingDto): Promise<void> {
    await this.rateLimits.consume('typing', socketId);
    const audience = await this.audience(user.userId, dto.conversationID);
    const rooms = audience.participantIds.filter((id) => id !== user.userId).map(userRoom);
    if (rooms.length) {
      this.realtime.server?.to(rooms).emit('typing', {
        conversationID: audience.conversationId,
        userID: user.userId,
        isTyping: dto.isTyping,
      });
    }
  }

  @OnEvent(GROUP_EVENTS.memberJoined)
  @OnEvent(GROUP_EVENTS.memberLeft)
  forgetAudiences(): void {
    this.audiences.clear();
  }

  private async audience(userId: string, ref: string): Promise<Audience> {
    const key = `${userId}:${ref}`;
    const cached = this.audiences.get(key);
    if (cached && cached.expiresAt > Date.now()) {
      return cached;
    }
    const { conversationId, participantIds } = await this.messaging.activeParticipantIds(
      userId,
      ref,
    );
    if (this.audiences.size >= AUDIENCE_CACHE_MAX) {
      this.audiences.clear();
    }
    const audience = { conversationId, participantIds, expiresAt: Date.now() + AUDIENCE_TTL_MS };
    this.audiences.set(key, audience);
    return audience;
  }
}
