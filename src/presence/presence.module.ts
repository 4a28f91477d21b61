import { Module } from '@nestjs/common';
import { InMemoryPresenceStore, PRESENCE_STORE } from './presence.store';
import { PresenceService } from './presence.service';

@Module({
  providers: [PresenceService, { provide: PRESENCE_STORE, useClass: InMemoryPresenceStore }],
  exports: [PresenceService],
})
export class PresenceModule {}
