import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BlocksModule } from '../blocks/blocks.module';
import { GroupsModule } from '../groups/groups.module';
import { MessageLifecycleModule } from '../messaging/lifecycle/lifecycle.module';
import { MessagingModule } from '../messaging/messaging.module';
import { PresenceModule } from '../presence/presence.module';
import { CatchUpService } from './catch-up.service';
import { ClientCommands } from './client-commands';
import { RealtimeDelivery } from './delivery';
import { DeliveredSeqObserver } from './delivered-seq-observer';
import { DeliverySubscriber } from './delivery.subscriber';
import { HandshakeAdmission } from './handshake-admission';
import { PlainWsTransport } from './plain-ws/plain-ws.transport';
import { SocketAuthMiddleware } from './socket-auth.middleware';
import { SocketIoGateway } from './socket-io.gateway';
import { TypingService } from './typing.service';

/**
 * The realtime edge: transports (Socket.IO; plain WebSocket), connect admission, socket authentication, the client
 * command table, delivery of domain events to connections, catch-up and typing. It sits on top of the
 * feature modules and knows no SQL; no feature module imports it.
 */
@Module({
  imports: [
    AuthModule,
    MessagingModule,
    MessageLifecycleModule,
    GroupsModule,
    PresenceModule,
    BlocksModule,
  ],
  providers: [
    RealtimeDelivery,
    HandshakeAdmission,
    SocketAuthMiddleware,
    TypingService,
    CatchUpService,
    ClientCommands,
    DeliverySubscriber,
    SocketIoGateway,
    DeliveredSeqObserver,
    PlainWsTransport,
  ],
  exports: [RealtimeDelivery],
})
export class RealtimeModule {}
