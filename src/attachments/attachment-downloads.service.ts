import type { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { parseRange } from '../common/http/byte-range';
import { contentDisposition } from '../common/http/content-disposition';
import { loggableError } from '../common/http/request-id';
import { AttachmentsRepository, type AttachmentRow } from './attachments.repository';
import { IMAGE_TYPES, makeThumbnail, THUMBNAIL_TYPE } from './file-inspection';
import { AttachmentStorage } from './storage/attachment-storage';

/** What the controller writes: a status, headers and a body (a stream, or a small buffer). */
export interface Download {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  body: Readable | Buffer | null;
}

/** Bounded single-flight for thumbnails being made on this instance. */
const MAX_THUMBNAILS_IN_FLIGHT = 64;

function safetyHeaders(row: AttachmentRow): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=3600',
    // Opened directly, the file is a document of our origin: give it no powers at all.
    'Content-Security-Policy': "default-src 'none'; img-src 'self'; sandbox",
    ETag: `"${row.sha256}"`,
  };
}

/** Serving attachments: the bytes (with ranges) and image thumbnails, to those who may read them. */
@Injectable()
export class AttachmentDownloadsService {
  private readonly logger = new Logger(AttachmentDownloadsService.name);
  private readonly thumbnailsInFlight = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly repository: AttachmentsRepository,
    private readonly storage: AttachmentStorage,
  ) {}

  /** 404 unless the caller uploaded it or can read a message carrying it. */
  async download(userId: string, id: string, rangeHeader: string | undefined): Promise<Download> {
    const row = await this.requireReadable(userId, id);
    const size = Number(row.size);
    const headers: Record<string, string> = {
      ...safetyHeaders(row),
      'Content-Type': row.content_type,
      'Content-Disposition': contentDisposition(
        IMAGE_TYPES.has(row.content_type) ? 'inline' : 'attachment',
        row.filename,
      ),
      'Accept-Ranges': 'bytes',
    };
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      return {
        status: 416,
        headers: { ...headers, 'Content-Range': `bytes */${size}` },
        body: null,
      };
    }
    const body = await this.storage.get(
      row.storage_key,
      range.kind === 'partial' ? { start: range.start, end: range.end } : undefined,
    );
    if (!body) {
      throw AppError.notFound('Attachment');
    }
    if (range.kind === 'partial') {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
      headers['Content-Length'] = String(range.end - range.start + 1);
      return { status: 206, headers, body };
    }
    headers['Content-Length'] = String(size);
    return { status: 200, headers, body };
  }

  /**
   * A WebP of at most 320 px on the long side, made on first request and stored. Not an image, or an
   * image too large to decode safely: 404.
   */
  async thumbnail(userId: string, id: string): Promise<Download> {
    const row = await this.requireReadable(userId, id);
    if (!IMAGE_TYPES.has(row.content_type)) {
      throw AppError.notFound('Thumbnail');
    }
    const headers = {
      ...safetyHeaders(row),
      'Content-Type': THUMBNAIL_TYPE,
      'Content-Disposition': contentDisposition('inline', `${row.filename}.webp`),
    };
    if (row.thumbnail_key) {
      const stored = await this.storage.get(row.thumbnail_key);
      if (stored) {
        return { status: 200, headers, body: stored };
      }
    }
    const body = await this.makeOnce(row);
    return { status: 200, headers: { ...headers, 'Content-Length': String(body.length) }, body };
  }

  private makeOnce(row: AttachmentRow): Promise<Buffer> {
    const running = this.thumbnailsInFlight.get(row.id);
    if (running) {
      return running;
    }
    if (this.thumbnailsInFlight.size >= MAX_THUMBNAILS_IN_FLIGHT) {
      return Promise.reject(AppError.rateLimited(1));
    }
    const made = this.make(row).finally(() => this.thumbnailsInFlight.delete(row.id));
    this.thumbnailsInFlight.set(row.id, made);
    return made;
  }

  private async make(row: AttachmentRow): Promise<Buffer> {
    const original = await this.storage.get(row.storage_key);
    if (!original) {
      throw AppError.notFound('Attachment');
    }
    let thumbnail: Buffer;
    try {
      thumbnail = await makeThumbnail(original);
    } catch (error) {
      original.destroy();
      this.logger.warn({ err: loggableError(error), id: row.id }, 'No thumbnail for attachment');
      throw AppError.notFound('Thumbnail');
    }
    const key = `${row.storage_key}.thumb.webp`;
    await this.storage.putBuffer(key, thumbnail, THUMBNAIL_TYPE);
    await this.repository.setThumbnail(row.id, key);
    return thumbnail;
  }

  private async requireReadable(userId: string, id: string): Promise<AttachmentRow> {
    const row = await this.repository.findReadable(id.toLowerCase(), userId);
    if (!row) {
      throw AppError.notFound('Attachment');
    }
    return row;
  }
}
