import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import type { Attachment } from '../../libs/contracts/src';
import type { RegisteredUser } from './factories';
import type { TestApp } from './test-app';

/** A real PNG of the given size (a gradient, so it does not compress to nothing). */
export async function makePng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 1) {
    pixels[i] = (i * 7) % 256;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

export async function upload(
  app: TestApp,
  user: RegisteredUser,
  body: Buffer,
  filename = 'file.bin',
): Promise<{
  status: number;
  body: { success: boolean; data: Attachment; error?: { code: string } };
}> {
  const response = await app
    .http()
    .post('/api/attachments')
    .set('Authorization', user.auth)
    .attach('file', body, filename);
  return { status: response.status, body: response.body as never };
}

export async function uploadOk(
  app: TestApp,
  user: RegisteredUser,
  body: Buffer,
  filename = 'file.bin',
): Promise<Attachment> {
  const response = await upload(app, user, body, filename);
  if (response.status !== 201) {
    throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body.data;
}

/** GET with the raw bytes (fetch: supertest would try to parse binary bodies). */
export async function getBytes(
  app: TestApp,
  user: RegisteredUser,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${app.baseUrl}${path}`, {
    headers: { Authorization: user.auth, ...headers },
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

/**
 * Streams a multipart upload of `total` bytes in 64 KiB chunks, honouring back-pressure, and stops
 * writing as soon as a response arrives. Resolves with the status, the body and how many file bytes
 * had been written when the answer came.
 */
export function streamUpload(
  baseUrl: string,
  user: RegisteredUser,
  total: number,
): Promise<{ status: number; body: string; sentBytes: number; finished: boolean }> {
  const boundary = `----test${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const url = new URL('/api/attachments', baseUrl);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let finished = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        Authorization: user.auth,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Transfer-Encoding': 'chunked',
      },
    });
    req.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (data: Buffer) => chunks.push(data));
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          sentBytes: sent,
          finished,
        });
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!answered) {
        reject(error);
      }
    });
    req.write(head);
    const pump = () => {
      while (!answered && sent < total) {
        const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += part.length;
        if (!req.write(part)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= total && !finished) {
        finished = true;
        req.end(tail);
      }
    };
    pump();
  });
}
