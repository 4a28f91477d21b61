import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module';
import { BlocksModule } from '../blocks/blocks.module';
import { PresenceModule } from '../presence/presence.module';
import { ConversationAccessService } from './conversation-access.service';
import { ConversationCache } from './conversation-cache';
import { ConversationResolver } from './conversation-resolver';
import { ConversationMembershipService } from './conversation-membership.service';
import { ConversationsController } from './conversations.controller';
import { DeliveryMarkerBuffer } from './marker.service';
import { MessageWriter } from './message-writer.service';
import { MessagesController } from './messages.controller';
import { ConversationQueriesService } from './conversation-queries.service';
import { MarkersService } from './markers.service';
import { MessagePresenter } from './message-presenter';
import { MessageSendingService } from './message-sending.service';
import { ConversationMembersRepository } from './repositories/conversation-members.repository';
import { ConversationsRepository } from './repositories/conversations.repository';
import { MessagesRepository } from './repositories/messages.repository';

@Module({
  imports: [PresenceModule, AttachmentsModule, BlocksModule],
  controllers: [MessagesController, ConversationsController],
  providers: [
    ConversationsRepository,
    ConversationMembersRepository,
    MessagesRepository,
    ConversationMembershipService,
    ConversationAccessService,
    ConversationCache,
    ConversationResolver,
    MessageWriter,
    DeliveryMarkerBuffer,
    MessagePresenter,
    MessageSendingService,
    ConversationQueriesService,
    MarkersService,
  ],
  exports: [
    ConversationMembershipService,
    ConversationAccessService,
    MessagePresenter,
    MessageSendingService,
    ConversationQueriesService,
    MarkersService,
  ],
})
export class MessagingModule {}
