import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { AppError, ErrorCode } from '../common/errors/app-error';

/** Bytes kept from the start of the file for type detection (what `file-type` reads at most). */
const HEAD_BYTES = 4100;
/** Multipart framing allowed on top of the file before a declared Content-Length is refused. */
const FRAMING_BYTES = 64 * 1024;

export interface SpooledUpload {
  /** The spool file: the caller moves it into storage or removes it. */
  file: string;
  /** The client's file name, for display only. */
  filename: string;
  size: number;
  sha256: string;
  /** The first bytes, for type detection. */
  head: Buffer;
}

function noop(): void {}

export function tooLarge(maxBytes: number): AppError {
  return new AppError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `The file is larger than the ${maxBytes}-byte limit`,
  );
}

/** Counts, hashes and keeps the head of the bytes flowing through it. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  private readonly headChunks: Buffer[] = [];
  private headSize = 0;

  get head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (this.headSize < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headSize);
      this.headChunks.push(Buffer.from(part));
      this.headSize += part.length;
    }
    done(null, chunk);
  }
}

/**
 * Streams the one `file` part of a multipart request to a spool file under `spoolDir`: nothing is
 * buffered beyond a stream chunk. Past `maxBytes` it fails with PAYLOAD_TOO_LARGE at once (the rest
 * of the request is not waited for) and the partial file is removed; so is it on any other failure.
 */
export async function receiveSingleFile(
  request: IncomingMessage,
  options: { maxBytes: number; spoolDir: string },
): Promise<SpooledUpload> {
  const type = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw AppError.validation('Send the file as multipart/form-data with one part named "file"');
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes + FRAMING_BYTES) {
    throw tooLarge(options.maxBytes);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      // No `parts`/`fields` limits: busboy stalls at the closing boundary once one is reached.
      // Extra parts are refused by the handlers below instead.
      // busboy reports `limit` on reaching fileSize: one byte more means "larger than maxBytes".
      limits: { files: 1, fileSize: options.maxBytes + 1, headerPairs: 20 },
      defParamCharset: 'utf8',
    });
  } catch {
    throw AppError.validation('Malformed multipart/form-data request');
  }
  await mkdir(options.spoolDir, { recursive: true });
  const spool = path.join(options.spoolDir, randomUUID());

  return new Promise<SpooledUpload>((resolve, reject) => {
    let settled = false;
    let written: Promise<SpooledUpload> | null = null;
    let source: (NodeJS.ReadableStream & { destroy: () => void }) | null = null;
    let sink: WriteStream | null = null;
    const fail = (error: AppError) => {
      if (settled) {
        return;
      }
      settled = true;
      // Stop reading: the answer goes out now, whatever the client is still sending.
      request.unpipe(parser);
      request.resume();
      source?.destroy();
      // The spool file's own stream, destroyed too: busboy's file stream, destroyed after its size
      // limit or while a later part arrives, does not end the pipeline, which then never settled
      // (and the request was never answered).
      sink?.destroy();
      const stopped = sink ? finished(sink).then(noop, noop) : Promise.resolve();
      void stopped.then(() => rm(spool, { force: true })).finally(() => reject(error));
    };
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || written) {
        stream.resume();
        fail(AppError.validation('Send exactly one part, named "file"'));
        return;
      }
      source = stream;
      const measure = new Measure();
      stream.on('limit', () => fail(tooLarge(options.maxBytes)));
      sink = createWriteStream(spool, { flags: 'wx' });
      written = pipeline(stream, measure, sink).then(() => ({
        file: spool,
        filename: info.filename ?? '',
        size: measure.size,
        sha256: measure.hash.digest('hex'),
        head: measure.head,
      }));
      // A failure here is reported through `fail`; the close handler below awaits the result.
      written.catch(() => fail(AppError.validation('The upload was interrupted')));
    });
    parser.on('field', () => fail(AppError.validation('Send exactly one part, named "file"')));
    parser.on('filesLimit', () => fail(AppError.validation('Send exactly one part, named "file"')));
    parser.on('fieldsLimit', () =>
      fail(AppError.validation('Send exactly one part, named "file"')),
    );
    parser.on('error', () => fail(AppError.validation('Malformed multipart/form-data request')));
    parser.on('close', () => {
      if (settled) {
        return;
      }
      if (!written) {
        fail(AppError.validation('A part named "file" is required'));
        return;
      }
      written.then(
        (upload) => {
          if (settled) {
            return;
          }
          if (upload.size === 0) {
            fail(AppError.validation('The file is empty'));
            return;
          }
          settled = true;
          resolve(upload);
        },
        () => fail(AppError.validation('The upload was interrupted')),
      );
    });
    request.on('close', () => {
      if (!request.complete) {
        fail(AppError.validation('The upload was interrupted'));
      }
    });
    request.pipe(parser);
  });
}
