import { Module } from '@nestjs/common';
import { MessagingModule } from '../messaging/messaging.module';
import { PresenceModule } from '../presence/presence.module';
import { GroupAdminService } from './group-admin.service';
import { GroupMembershipChanges } from './group-membership-changes';
import { GroupMembershipService } from './group-membership.service';
import { GroupQueriesService } from './group-queries.service';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';

@Module({
  imports: [MessagingModule, PresenceModule],
  controllers: [GroupsController],
  providers: [
    GroupsRepository,
    GroupMembershipChanges,
    GroupAdminService,
    GroupMembershipService,
    GroupQueriesService,
  ],
  exports: [GroupMembershipService],
})
export class GroupsModule {}
