import { Module } from '@nestjs/common';
import { BlocksModule } from '../blocks/blocks.module';
import { MessagingModule } from '../messaging/messaging.module';
import { SearchController } from './search.controller';
import { SearchIndexMaintainer } from './search-index-maintainer';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

@Module({
  imports: [MessagingModule, BlocksModule],
  controllers: [SearchController],
  providers: [SearchRepository, SearchService, SearchIndexMaintainer],
})
export class SearchModule {}
