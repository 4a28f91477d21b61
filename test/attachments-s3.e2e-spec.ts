import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'expect';
import S3rver from 's3rver';
import sharp from 'sharp';
import { AttachmentsService } from '../src/attachments/attachments.service';
import { getBytes, makePng, streamUpload, uploadOk } from './utils/attachments';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';

const BUCKET = 'attachments-test';

describe('attachments in an S3-compatible bucket', () => {
  let s3rver: S3rver;
  let s3Dir: string;
  let dataDir: string;
  let endpoint: string;
  let client: S3Client;
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  const objectExists = async (key: string): Promise<boolean> => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      return true;
    } catch {
      return false;
    }
  };

  before(async () => {
    s3Dir = mkdtempSync(path.join(tmpdir(), 's3rver-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'attachments-s3-'));
    s3rver = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3Dir,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await s3rver.run();
    endpoint = `http://127.0.0.1:${port}`;
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: endpoint,
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
    });
    [alice, bob] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
    ]);
  });

  after(async () => {
    await app.close();
    client.destroy();
    await s3rver.close();
    rmSync(s3Dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should store uploads in the bucket and serve them, ranges and thumbnails included', async () => {
    const png = await makePng(800, 400);
    const file = await uploadOk(app, alice, png, 'wide.png');
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: file.id }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(png)).toBe(true);
    // Nothing stays on local disk: the spool file was handed to the bucket.
    expect(existsSync(path.join(dataDir, 'attachments', file.id.slice(0, 2)))).toBe(false);
    expect(readdirSync(path.join(dataDir, 'attachments', '.incoming'))).toEqual([]);

    await app
      .http()
      .post('/api/messages/send')
      .set('Authorization', alice.auth)
      .send({ recipientID: bob.id, attachmentIDs: [file.id] })
      .expect(201);
    const download = await getBytes(app, bob, `/api/attachments/${file.id}`);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(png)).toBe(true);
    const part = await getBytes(app, bob, `/api/attachments/${file.id}`, { Range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.bytes.equals(png.subarray(10, 20))).toBe(true);

    const thumbnail = await getBytes(app, bob, `/api/attachments/${file.id}/thumbnail`);
    const meta = await sharp(thumbnail.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([320, 160]);
    expect(await objectExists(`${file.id}.thumb.webp`)).toBe(true);

    const service = app.app.get(AttachmentsService);
    const messages = await app
      .http()
      .get(`/api/messages/history/${alice.id}`)
      .set('Authorization', bob.auth)
      .expect(200);
    await service.removeForMessage(messages.body.data[0].id as string);
    expect(await objectExists(file.id)).toBe(false);
    expect(await objectExists(`${file.id}.thumb.webp`)).toBe(false);
  });

  it('should refuse an oversize upload mid-stream and leave nothing in the bucket', async () => {
    const result = await streamUpload(app.baseUrl, alice, 25 * 1024 * 1024 * 8);
    expect(result.status).toBe(413);
    expect(result.finished).toBe(false);
    expect(readdirSync(path.join(dataDir, 'attachments', '.incoming'))).toEqual([]);
  });

  it('should sweep unattached uploads from the bucket', async () => {
    const file = await uploadOk(app, alice, Buffer.from('orphan'), 'orphan.txt');
    expect(await objectExists(file.id)).toBe(true);
    await app.app.get(AttachmentsService).sweep(new Date(Date.now() + 25 * 3600_000));
    expect(await objectExists(file.id)).toBe(false);
  });
});
