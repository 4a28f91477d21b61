import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Attachment } from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess } from '../common/http/api-docs';
import { uuidPipe } from '../common/http/uuid-pipe';
import { AttachmentDownloadsService, type Download } from './attachment-downloads.service';
import { AttachmentsService } from './attachments.service';
import { AttachmentDto, UploadAttachmentDto } from './dto/attachment.dto';

function send(response: Response, download: Download): void {
  response.status(download.status).set(download.headers);
  const body = download.body;
  if (body === null) {
    response.end();
  } else if (Buffer.isBuffer(body)) {
    response.end(body);
  } else {
    // A storage failure mid-stream can only cut the response short: the status is already sent.
    body.on('error', () => response.destroy());
    response.on('close', () => body.destroy());
    body.pipe(response);
  }
}

// maxLength: the largest ATTACHMENT_MAX_BYTES accepts; thumbnails are a few hundred KB at most.
const BINARY = { schema: { type: 'string', format: 'binary', maxLength: 5 * 1024 ** 3 } };
const THUMBNAIL = { schema: { type: 'string', format: 'binary', maxLength: 1024 * 1024 } };

@ApiTags('attachments')
@ApiBearerAuth()
@Controller('attachments')
export class AttachmentsController {
  constructor(
    private readonly attachments: AttachmentsService,
    private readonly downloads: AttachmentDownloadsService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Upload a file',
    description:
      'multipart/form-data with one part named "file", streamed to storage. Past ATTACHMENT_MAX_BYTES (default ' +
      '25 MiB) the answer is 413 at once and nothing is kept. contentType is detected from the bytes. Attach it ' +
      'with `attachmentIDs` on send within 24 hours, or it is deleted.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadAttachmentDto })
  @ApiSuccess(AttachmentDto, { status: 201 })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.RATE_LIMITED)
  async upload(
    @CurrentUser() caller: AuthenticatedUser,
    @Req() request: Request,
  ): Promise<Attachment> {
    return this.attachments.upload(caller.userId, request);
  }

  @Get(':attachmentID')
  @ApiOperation({
    summary: 'Download an attachment',
    description:
      'The bytes, to the uploader or anyone who can read a message carrying it (404 for everyone else). ' +
      'Content-Disposition is inline for images, attachment otherwise; single byte ranges are served as 206.',
  })
  @ApiProduces('application/octet-stream')
  @ApiResponse({
    status: 200,
    description: 'The bytes',
    content: { 'application/octet-stream': BINARY },
  })
  @ApiResponse({
    status: 206,
    description: 'The requested range',
    content: { 'application/octet-stream': BINARY },
  })
  @ApiResponse({ status: 416, description: 'The range starts past the end' })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async download(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('attachmentID', uuidPipe('attachmentID')) id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    send(response, await this.downloads.download(caller.userId, id, request.headers.range));
  }

  @Get(':attachmentID/thumbnail')
  @ApiOperation({
    summary: 'Thumbnail of an image attachment',
    description:
      'A WebP of at most 320 px on its long side (never upscaled), made once and stored. 404 for anything but ' +
      'an image, and for images too large to decode safely.',
  })
  @ApiProduces('image/webp')
  @ApiResponse({ status: 200, description: 'The thumbnail', content: { 'image/webp': THUMBNAIL } })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND, ErrorCode.RATE_LIMITED)
  async thumbnail(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('attachmentID', uuidPipe('attachmentID')) id: string,
    @Res() response: Response,
  ): Promise<void> {
    send(response, await this.downloads.thumbnail(caller.userId, id));
  }
}
