import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import sharp from 'sharp';
import type { RootConfig } from '../config/configuration';
import { AttachmentDownloadsService } from './attachment-downloads.service';
import { AttachmentsController } from './attachments.controller';
import { AttachmentsRepository } from './attachments.repository';
import { AttachmentsService } from './attachments.service';
import { AttachmentsSweeper } from './attachments.sweeper';
import { AttachmentStorage } from './storage/attachment-storage';
import { LocalAttachmentStorage } from './storage/local.storage';
import { S3AttachmentStorage } from './storage/s3.storage';

// Thumbnails are made once and stored: libvips' operation cache would only hold memory.
sharp.cache(false);

@Module({
  controllers: [AttachmentsController],
  providers: [
    {
      provide: AttachmentStorage,
      inject: [ConfigService],
      useFactory: (config: ConfigService<RootConfig, true>): AttachmentStorage => {
        const settings = config.get('attachments', { infer: true });
        return settings.s3
          ? new S3AttachmentStorage(settings.s3)
          : new LocalAttachmentStorage(settings.directory);
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
