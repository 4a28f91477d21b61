import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Attachment, MessageAttachment } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { loggableError } from '../common/http/request-id';
import type { RootConfig } from '../config/configuration';
import { AttachmentsRepository, toMessageAttachment } from './attachments.repository';
import { detectContentType, displayFilename, IMAGE_TYPES, imageSize } from './file-inspection';
import { receiveSingleFile } from './multipart-upload';
import { AttachmentStorage } from './storage/attachment-storage';

/** Uploads never attached to a message are deleted after this long. */
export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose message never appeared (the process died before the commit) is dropped after this. */
const ORPHAN_CLAIM_TTL_MS = 60 * 60 * 1000;
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/**
 * Uploads and their life with messages: stored on upload, claimed by a send, removed with their
 * message or by the sweep when never attached.
 */
@Injectable()
export class AttachmentsService {
  private readonly logger = new Logger(AttachmentsService.name);
  private readonly maxBytes: number;
  private readonly spoolDir: string;

  constructor(
    private readonly repository: AttachmentsRepository,
    private readonly storage: AttachmentStorage,
    config: ConfigService<RootConfig, true>,
  ) {
    const settings = config.get('attachments', { infer: true });
    this.maxBytes = settings.maxBytes;
    this.spoolDir = path.join(settings.directory, '.incoming');
  }

  /**
   * Streams the request's `file` part to storage: the size limit (413 as soon as it is passed), the
   * sha256 and the type are all worked out while the bytes flow, never by buffering the file.
   */
  async upload(uploaderId: string, request: IncomingMessage): Promise<Attachment> {
    const spooled = await receiveSingleFile(request, {
      maxBytes: this.maxBytes,
      spoolDir: this.spoolDir,
    });
    try {
      const contentType = await detectContentType(spooled.head);
      const size = IMAGE_TYPES.has(contentType) ? await imageSize(spooled.file) : null;
      const id = randomUUID();
      const attachment = {
        id,
        uploaderId,
        filename: displayFilename(spooled.filename),
        contentType,
        size: spooled.size,
        sha256: spooled.sha256,
        width: size?.width ?? null,
        height: size?.height ?? null,
        storageKey: id,
      };
      await this.storage.putFile(id, spooled.file, spooled.size, contentType);
      try {
        await this.repository.insert(attachment);
      } catch (error) {
        await this.storage.remove([id]);
        throw error;
      }
      return {
        id,
        filename: attachment.filename,
        contentType,
        size: attachment.size,
        sha256: attachment.sha256,
        width: attachment.width,
        height: attachment.height,
      };
    } finally {
      await rm(spooled.file, { force: true });
    }
  }

  /**
   * Claims the sender's uploads for a message whose id is generated before the write. Every id must
   * be the sender's and not yet attached (else 400, and nothing stays claimed). A resend with the same
   * clientMessageID whose uploads are already on that first message claims nothing: the writer then
   * returns the first message.
   */
  async claimForMessage(
    senderId: string,
    ids: readonly string[],
    messageId: string,
    clientMessageId: string | null,
  ): Promise<MessageAttachment[]> {
    const wanted = ids.map((id) => id.toLowerCase());
    const rows = await this.repository.claim(senderId, wanted, messageId);
    if (rows.length === wanted.length) {
      return rows.map(toMessageAttachment);
    }
    await this.repository.release(messageId);
    if (
      clientMessageId !== null &&
      (await this.repository.attachedToClientMessage(senderId, wanted, clientMessageId))
    ) {
      return [];
    }
    throw AppError.validation('attachmentIDs must be your own uploads not yet sent', [
      { field: 'attachmentIDs', message: 'each must be an upload of yours not yet attached' },
    ]);
  }

  /** Undoes a claim when the send was refused or failed. */
  async releaseClaim(messageId: string): Promise<void> {
    await this.repository.release(messageId);
  }

  /** The attachments of each message (in send order); messages without any are absent. */
  async forMessages(messageIds: readonly string[]): Promise<Map<string, MessageAttachment[]>> {
    return this.repository.forMessages(messageIds);
  }

  /**
   * Deletes a message's attachments and their files (thumbnails included). The message lifecycle
   * calls this when a message is deleted.
   */
  async removeForMessage(messageId: string): Promise<void> {
    await this.removeFiles(await this.repository.deleteForMessage(messageId));
  }

  /** Deletes uploads never attached for 24 hours (and abandoned claims). Returns how many files went. */
  async sweep(now = new Date()): Promise<number> {
    const keys = await this.repository.deleteAbandoned(
      new Date(now.getTime() - UNATTACHED_TTL_MS),
      new Date(now.getTime() - ORPHAN_CLAIM_TTL_MS),
    );
    await this.removeFiles(keys);
    return keys.length;
  }

  private async removeFiles(keys: string[]): Promise<void> {
    if (!keys.length) {
      return;
    }
    try {
      await this.storage.remove(keys);
    } catch (error) {
      // The rows are gone, so nobody can reach these bytes; log what was left behind.
      this.logger.error({ err: loggableError(error), keys }, 'Attachment files not removed');
    }
  }
}
