import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { GroupsModule } from '../../groups/groups.module';
import { PresenceModule } from '../../presence/presence.module';
import { MessagingGateway } from '../messaging.gateway';
import { MessagingModule } from '../messaging.module';
import { CatchUpService } from './catch-up.service';
import { DeliverySubscriber } from './delivery.subscriber';
import { RealtimeServer } from './realtime-server';
import { SocketAuthMiddleware } from './socket-auth.middleware';
import { PlainWsTransport } from '../../realtime/plain-ws/plain-ws.transport';
import { TypingService } from './typing.service';

/**
 * The realtime edge: the gateway and the subscribers that push domain events to sockets. Its own module
 * because it sits on top of Messaging and Groups (Groups already imports Messaging).
 */
@Module({
  imports: [AuthModule, MessagingModule, GroupsModule, PresenceModule],
  providers: [
    RealtimeServer,
    SocketAuthMiddleware,
    TypingService,
    CatchUpService,
    DeliverySubscriber,
    MessagingGateway,
    PlainWsTransport,
  ],
})
export class RealtimeModule {}
