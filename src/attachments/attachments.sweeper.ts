import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { loggableError } from '../common/http/request-id';
import { AttachmentsService } from './attachments.service';

const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** Runs the sweep of never-attached uploads every hour (every instance may: each row goes once). */
@Injectable()
export class AttachmentsSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AttachmentsSweeper.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly attachments: AttachmentsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    try {
      const removed = await this.attachments.sweep();
      if (removed) {
        this.logger.log({ removed }, 'Removed files of abandoned uploads');
      }
    } catch (error) {
      this.logger.warn(
        { err: loggableError(error) },
        'Attachment sweep failed; retrying next hour',
      );
    }
  }
}
