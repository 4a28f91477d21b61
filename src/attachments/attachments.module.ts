import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RootConfig } from '../config/configuration';
import { AttachmentDownloadsService } from './attachment-downloads.service';
import { AttachmentsController } from './attachments.controller';
import { AttachmentsRepository } from './attachments.repository';
import { AttachmentsService } from './attachments.service';
import { AttachmentsSweeper } from './attachments.sweeper';
import { AttachmentStorage } from './storage/attachment-storage';
import { LocalAttachmentStorage } from './storage/local.storage';

@Module({
  controllers: [AttachmentsController],
  providers: [
    {
      provide: AttachmentStorage,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<RootConfig, true>): Promise<AttachmentStorage> => {
        const settings = config.get('attachments', { infer: true });
        if (!settings.s3) {
          return new LocalAttachmentStorage(settings.directory);
        }
        // Loaded only when configured: the AWS SDK is 80-90 ms of every start otherwise.
        const { S3AttachmentStorage } = await import('./storage/s3.storage.js');
        return new S3AttachmentStorage(settings.s3);
      },
    },
    AttachmentsRepository,
    AttachmentsService,
    AttachmentDownloadsService,
    AttachmentsSweeper,
  ],
  exports: [AttachmentsService],
})
export class AttachmentsModule {}
