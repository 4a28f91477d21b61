import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../../attachments/attachments.module';
import { MessagingModule } from '../messaging.module';
import { ChangesService } from './changes.service';
import { LifecycleController } from './lifecycle.controller';
import { MessageDeletionsService } from './message-deletions.service';
import { MessageEditsService } from './message-edits.service';
import { MessageLifecycleRepository } from './message-lifecycle.repository';
import { MessageLookup } from './message-lookup.service';
import { ReactionsService } from './reactions.service';
import { ThreadsService } from './threads.service';

/** Message lifecycle: edits, deletions, reactions, threads and the per-conversation change feed. */
@Module({
  imports: [MessagingModule, AttachmentsModule],
  controllers: [LifecycleController],
  providers: [
    MessageLifecycleRepository,
    MessageLookup,
    MessageEditsService,
    MessageDeletionsService,
    ReactionsService,
    ThreadsService,
    ChangesService,
  ],
  exports: [MessageEditsService, MessageDeletionsService, ReactionsService, ChangesService],
})
export class MessageLifecycleModule {}
