import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import sharp from 'sharp';
import type { Message } from '../libs/contracts/src';
import { AttachmentsService } from '../src/attachments/attachments.service';
import { createGroup, joinGroup, postMessage, sendHttp } from './utils/api';
import { closeAll } from './utils/realtime';
import { getBytes, makePng, streamUpload, upload, uploadOk } from './utils/attachments';
import type { RegisteredUser } from './utils/factories';
import { signedInUser } from './utils/sql-factories';
import { createTestApp, type TestApp } from './utils/test-app';
import { connectSocket, emitWithAck, waitForEvent } from './utils/ws-client';

const MAX = 25 * 1024 * 1024;

describe('attachments', () => {
  let app: TestApp;
  let dataDir: string;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let png: Buffer;

  const fileOnDisk = (id: string) => path.join(dataDir, 'attachments', id.slice(0, 2), id);

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'attachments-e2e-'));
    app = await createTestApp({ env: { DATA_DIR: dataDir } });
    [alice, bob, carol] = await Promise.all([
      signedInUser(app.app, 'alice'),
      signedInUser(app.app, 'bob'),
      signedInUser(app.app, 'carol'),
    ]);
    png = await makePng(640, 480);
  });

  after(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should store an uploaded image with the type, hash and size read from its bytes', async () => {
    const response = await upload(app, alice, png, 'photo.png');
    expect(response.status).toBe(201);
    expect(response.body.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      filename: 'photo.png',
      contentType: 'image/png',
      size: png.length,
      sha256: createHash('sha256').update(png).digest('hex'),
      width: 640,
      height: 480,
    });
    expect(existsSync(fileOnDisk(response.body.data.id))).toBe(true);
  });

  it('should detect the type from the bytes, never from the client, and keep the name for display only', async () => {
    const response = await app
      .http()
      .post('/api/attachments')
      .set('Authorization', alice.auth)
      .attach('file', Buffer.from('just some text'), {
        filename: '../../etc/passwd.png',
        contentType: 'image/png',
      })
      .expect(201);
    expect(response.body.data).toMatchObject({
      filename: 'passwd.png',
      contentType: 'application/octet-stream',
      width: null,
      height: null,
    });
    expect(existsSync(fileOnDisk(response.body.data.id))).toBe(true);
  });

  it('should send attachments with empty content and default messageType to image, then file', async () => {
    const image = await uploadOk(app, alice, png, 'photo.png');
    const response = await postMessage(app, alice, {
      recipientID: bob.id,
      content: '',
      attachmentIDs: [image.id],
    }).expect(201);
    const message = response.body.data as Message;
    expect(message.messageType).toBe('image');
    expect(message.content).toBe('');
    expect(message.attachments).toEqual([
      {
        id: image.id,
        filename: 'photo.png',
        contentType: 'image/png',
        size: png.length,
        width: 640,
        height: 480,
      },
    ]);

    const other = await uploadOk(app, alice, Buffer.from('%PDF-1.4 not really'), 'notes.pdf');
    const image2 = await uploadOk(app, alice, png, 'second.png');
    const mixed = await postMessage(app, alice, {
      recipientID: bob.id,
      attachmentIDs: [image2.id, other.id],
    }).expect(201);
    expect(mixed.body.data.messageType).toBe('file');
    expect((mixed.body.data as Message).attachments.map((a) => a.id)).toEqual([
      image2.id,
      other.id,
    ]);

    const history = await app
      .http()
      .get(`/api/messages/history/${alice.id}`)
      .set('Authorization', bob.auth)
      .expect(200);
    const byId = new Map((history.body.data as Message[]).map((m) => [m.id, m]));
    expect(byId.get(message.id)?.attachments).toEqual(message.attachments);
    expect(byId.get(mixed.body.data.id)?.attachments.map((a) => a.id)).toEqual([
      image2.id,
      other.id,
    ]);
  });

  it('should send attachments over the socket and push them with the message', async () => {
    const file = await uploadOk(app, alice, png, 'live.png');
    const a = await connectSocket(app.baseUrl, alice.accessToken);
    const b = await connectSocket(app.baseUrl, bob.accessToken);
    try {
      const pushed = waitForEvent<Message>(b, 'message', (m) =>
        m.attachments.some((x) => x.id === file.id),
      );
      const ack = await emitWithAck<Message>(a, 'send_message', {
        recipientID: bob.id,
        attachmentIDs: [file.id],
      });
      expect(ack.success).toBe(true);
      expect(ack.data?.attachments.map((x) => x.id)).toEqual([file.id]);
      expect((await pushed).attachments).toEqual(ack.data?.attachments);
      const refused = await emitWithAck(b, 'send_message', {
        recipientID: alice.id,
        attachmentIDs: [file.id],
      });
      expect(refused.error?.code).toBe('VALIDATION_FAILED');
    } finally {
      closeAll(a, b);
    }
  });

  it("should refuse another user's upload, an attached upload, too many and empty messages", async () => {
    const alices = await uploadOk(app, alice, png, 'mine.png');
    const refused = await postMessage(app, bob, {
      recipientID: carol.id,
      content: 'look',
      attachmentIDs: [alices.id],
    }).expect(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    // Nothing stayed claimed: the owner can still send it, once.
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: [alices.id] }).expect(201);
    await postMessage(app, alice, { recipientID: carol.id, attachmentIDs: [alices.id] }).expect(
      400,
    );

    const ids = Array.from({ length: 11 }, () => alices.id);
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: ids }).expect(400);
    await postMessage(app, alice, { recipientID: bob.id, content: '' }).expect(400);
    await postMessage(app, alice, { recipientID: bob.id }).expect(400);
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: ['nope'] }).expect(400);
  });

  it('should release the claim when the send is refused', async () => {
    const group = await createGroup(app, alice, 'claim-release');
    const carols = await uploadOk(app, carol, png, 'c.png');
    await postMessage(app, carol, { groupID: group.id, attachmentIDs: [carols.id] }).expect(403);
    await postMessage(app, carol, { recipientID: bob.id, attachmentIDs: [carols.id] }).expect(201);
  });

  it('should return the first message for a clientMessageID resend with the same attachments', async () => {
    const file = await uploadOk(app, alice, png, 'again.png');
    const body = { recipientID: bob.id, attachmentIDs: [file.id], clientMessageID: 'att-replay-1' };
    const first = await postMessage(app, alice, body).expect(201);
    const again = await postMessage(app, alice, body).expect(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.body.data.attachments).toEqual(first.body.data.attachments);
  });

  it('should serve the bytes to readers with safe headers and ranges, and 404 to everyone else', async () => {
    const file = await uploadOk(app, alice, png, "résumé final's.png");
    // The uploader reads it before it is sent; nobody else does.
    expect((await getBytes(app, alice, `/api/attachments/${file.id}`)).status).toBe(200);
    expect((await getBytes(app, bob, `/api/attachments/${file.id}`)).status).toBe(404);
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: [file.id] }).expect(201);

    const download = await getBytes(app, bob, `/api/attachments/${file.id}`);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(png)).toBe(true);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('cache-control')).toMatch(/^private/);
    expect(download.headers.get('content-disposition')).toBe(
      `inline; filename="r_sum_ final's.png"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final%27s.png`,
    );
    expect(download.headers.get('accept-ranges')).toBe('bytes');

    const part = await getBytes(app, bob, `/api/attachments/${file.id}`, {
      Range: 'bytes=100-199',
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${png.length}`);
    expect(part.bytes.equals(png.subarray(100, 200))).toBe(true);
    const tail = await getBytes(app, bob, `/api/attachments/${file.id}`, { Range: 'bytes=-10' });
    expect(tail.bytes.equals(png.subarray(png.length - 10))).toBe(true);
    const past = await getBytes(app, bob, `/api/attachments/${file.id}`, {
      Range: `bytes=${png.length}-`,
    });
    expect(past.status).toBe(416);

    const outsider = await getBytes(app, carol, `/api/attachments/${file.id}`);
    expect(outsider.status).toBe(404);
    expect(JSON.parse(outsider.bytes.toString()).error.code).toBe('NOT_FOUND');
    expect((await getBytes(app, carol, `/api/attachments/${file.id}/thumbnail`)).status).toBe(404);
    expect(
      (await getBytes(app, bob, '/api/attachments/7c9e6679-7425-40de-944b-e07fc1f90ae7')).status,
    ).toBe(404);
  });

  it('should send non-images as attachment downloads without a thumbnail', async () => {
    const file = await uploadOk(app, alice, Buffer.from('plain text'), 'notes.txt');
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: [file.id] }).expect(201);
    const download = await getBytes(app, bob, `/api/attachments/${file.id}`);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toMatch(
      /^attachment; filename="notes.txt"/,
    );
    expect((await getBytes(app, bob, `/api/attachments/${file.id}/thumbnail`)).status).toBe(404);
  });

  it('should make a thumbnail of at most 320 px once, and never upscale a small image', async () => {
    const file = await uploadOk(app, alice, png, 'big.png');
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: [file.id] }).expect(201);
    const first = await getBytes(app, bob, `/api/attachments/${file.id}/thumbnail`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/webp');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    const meta = await sharp(first.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 240]);
    expect(existsSync(`${fileOnDisk(file.id)}.thumb.webp`)).toBe(true);
    const second = await getBytes(app, bob, `/api/attachments/${file.id}/thumbnail`);
    expect(second.bytes.equals(first.bytes)).toBe(true);

    const small = await uploadOk(app, alice, await makePng(100, 50), 'small.png');
    const thumb = await getBytes(app, alice, `/api/attachments/${small.id}/thumbnail`);
    const smallMeta = await sharp(thumb.bytes).metadata();
    expect([smallMeta.width, smallMeta.height]).toEqual([100, 50]);
  });

  it('should refuse a thumbnail of an image too large to decode safely', async () => {
    // 8,000 x 8,000 pixels of one colour: a few KB of PNG, 64 megapixels decoded.
    const bomb = await sharp({
      create: { width: 8_000, height: 8_000, channels: 3, background: '#ffffff' },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const file = await uploadOk(app, alice, bomb, 'bomb.png');
    expect([file.width, file.height]).toEqual([8_000, 8_000]);
    expect((await getBytes(app, alice, `/api/attachments/${file.id}/thumbnail`)).status).toBe(404);
  });

  it('should let group members read attachments, including later joiners, but not a member who left before', async () => {
    const group = await createGroup(app, alice, 'files');
    const leaver = await signedInUser(app.app, 'leaver');
    await joinGroup(app, leaver, group.id);
    await app
      .http()
      .delete(`/api/groups/${group.id}/leave`)
      .set('Authorization', leaver.auth)
      .expect(200);
    const file = await uploadOk(app, alice, png, 'team.png');
    await postMessage(app, alice, { groupID: group.id, attachmentIDs: [file.id] }).expect(201);
    const late = await signedInUser(app.app, 'late');
    await joinGroup(app, late, group.id);
    expect((await getBytes(app, late, `/api/attachments/${file.id}`)).status).toBe(200);
    expect((await getBytes(app, leaver, `/api/attachments/${file.id}`)).status).toBe(404);
  });

  it('should refuse with 413 while streaming once the limit is passed and keep nothing', async () => {
    const before = await app.app.get(AttachmentsService).sweep(new Date(0));
    expect(before).toBe(0);
    const result = await streamUpload(app.baseUrl, alice, MAX * 8);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // The answer came while the client was still sending: the request was never finished.
    expect(result.finished).toBe(false);
    expect(result.sentBytes).toBeLessThan(MAX * 8);
    expect(readdirSync(path.join(dataDir, 'attachments', '.incoming'))).toEqual([]);
  });

  // A timeout: the failure these guard against was a request never answered.
  it(
    'should answer 413 to a file a byte over the limit, found while streaming, and keep nothing',
    { timeout: 30_000 },
    async () => {
      // Within the framing slack of Content-Length, so only the stream can tell it is too large.
      const result = await upload(app, alice, Buffer.alloc(MAX + 1, 0x62), 'over.bin');
      expect(result.status).toBe(413);
      expect(result.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
      expect(readdirSync(path.join(dataDir, 'attachments', '.incoming'))).toEqual([]);
    },
  );

  // A timeout: the failure these guard against was a request never answered.
  it(
    'should answer 400 to a second part after the file and keep nothing',
    { timeout: 30_000 },
    async () => {
      const afterFile = await app
        .http()
        .post('/api/attachments')
        .set('Authorization', alice.auth)
        .attach('file', png, 'first.png')
        .attach('file', png, 'second.png')
        .expect(400);
      expect(afterFile.body.error.code).toBe('VALIDATION_FAILED');
      await app
        .http()
        .post('/api/attachments')
        .set('Authorization', alice.auth)
        .attach('file', png, 'first.png')
        .field('note', 'after the file')
        .expect(400);
      expect(readdirSync(path.join(dataDir, 'attachments', '.incoming'))).toEqual([]);
    },
  );

  it('should refuse a request that is not multipart/form-data with one file part', async () => {
    const json = await app
      .http()
      .post('/api/attachments')
      .set('Authorization', alice.auth)
      .send({ file: 'x' })
      .expect(400);
    expect(json.body.error.code).toBe('VALIDATION_FAILED');
    await app
      .http()
      .post('/api/attachments')
      .set('Authorization', alice.auth)
      .field('note', 'hello')
      .expect(400);
    await app
      .http()
      .post('/api/attachments')
      .set('Authorization', alice.auth)
      .attach('other', png, 'x.png')
      .expect(400);
    await app.http().post('/api/attachments').attach('file', png, 'x.png').expect(401);
  });

  it('should stream a 25 MiB upload without the memory growing by the file size', async () => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const result = await streamUpload(app.baseUrl, alice, MAX);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(result.status).toBe(201);
    expect(JSON.parse(result.body).data.size).toBe(MAX);
    const growthMiB = (peak - baseline) / 1024 / 1024;
    process.stdout.write(`# 25 MiB upload: RSS peak growth ${growthMiB.toFixed(1)} MiB\n`);
    // A buffered upload grows by the file (25 MiB) and more; streamed, the growth is the process's
    // own churn (9.5-17.4 MiB in runs here, with another suite running beside it).
    expect(growthMiB).toBeLessThan(20);
  });

  it('should sweep uploads never attached after 24 hours and keep attached ones', async () => {
    const service = app.app.get(AttachmentsService);
    const stale = await uploadOk(app, alice, png, 'stale.png');
    const sent = await uploadOk(app, alice, png, 'sent.png');
    await postMessage(app, alice, { recipientID: bob.id, attachmentIDs: [sent.id] }).expect(201);
    expect(await service.sweep(new Date(Date.now() + 23 * 3600_000))).toBe(0);
    expect(existsSync(fileOnDisk(stale.id))).toBe(true);
    const removed = await service.sweep(new Date(Date.now() + 25 * 3600_000));
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(existsSync(fileOnDisk(stale.id))).toBe(false);
    expect((await getBytes(app, alice, `/api/attachments/${stale.id}`)).status).toBe(404);
    expect((await getBytes(app, bob, `/api/attachments/${sent.id}`)).status).toBe(200);
  });

  it('should remove the files when the message is deleted', async () => {
    const file = await uploadOk(app, alice, png, 'deleted.png');
    const message = await sendHttp(app, alice, { recipientID: bob.id, attachmentIDs: [file.id] });
    await app
      .http()
      .delete(`/api/messages/${message.id}`)
      .set('Authorization', alice.auth)
      .expect(204);
    expect(existsSync(fileOnDisk(file.id))).toBe(false);
    expect((await getBytes(app, bob, `/api/attachments/${file.id}`)).status).toBe(404);
    expect((await getBytes(app, alice, `/api/attachments/${file.id}`)).status).toBe(404);
  });

  it("should remove a message's files when the lifecycle deletes the message", async () => {
    const file = await uploadOk(app, alice, png, 'gone.png');
    const message = await sendHttp(app, alice, { recipientID: bob.id, attachmentIDs: [file.id] });
    await getBytes(app, bob, `/api/attachments/${file.id}/thumbnail`);
    await app.app.get(AttachmentsService).removeForMessage(message.id);
    expect(existsSync(fileOnDisk(file.id))).toBe(false);
    expect(existsSync(`${fileOnDisk(file.id)}.thumb.webp`)).toBe(false);
    expect((await getBytes(app, bob, `/api/attachments/${file.id}`)).status).toBe(404);
  });
});
