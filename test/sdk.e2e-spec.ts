import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../libs/contracts/src';
import { ApiError, type RealtimeSession } from '../libs/sdk/src';
import { signedIn, until } from './utils/sdk-fixtures';
import { createTestApp, type TestApp } from './utils/test-app';
import { waitForEvent } from './utils/ws-client';

describe('client SDK (libs/sdk)', () => {
  let app: TestApp;
  const sessions: RealtimeSession[] = [];

  before(async () => {
    app = await createTestApp();
  });

  after(async () => {
    sessions.forEach((session) => session.close());
    await app.close();
  });

  it('should hand each message to the app once, in order, across duplicates and a gap', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const live = bob.client.connect({
      socketOptions: { transports: ['websocket'], reconnection: false },
    });
    sessions.push(live);
    await live.ready();
    const received: Message[] = [];
    live.onMessage((message) => received.push(message));

    const first = await alice.client.sendMessage({
      recipientID: bob.user.id,
      content: 'one',
      clientMessageID: 'sdk-1',
    });
    await until(() => received.length === 1);

    // The server delivers a resend again; the SDK drops the duplicate.
    const duplicate = waitForEvent<Message>(live.socket, 'message', (m) => m.id === first.id);
    await alice.client.sendMessage({
      recipientID: bob.user.id,
      content: 'one',
      clientMessageID: 'sdk-1',
    });
    await duplicate;
    await live.socket.timeout(5_000).emitWithAck('ping');
    expect(received.map((m) => m.content)).toEqual(['one']);

    // Offline: two messages are missed; the newer one arrives first by another route (a push).
    live.socket.disconnect();
    await alice.client.sendMessage({ recipientID: bob.user.id, content: 'two' });
    const third = await alice.client.sendMessage({ recipientID: bob.user.id, content: 'three' });
    live.ingest(third);
    expect(received.map((m) => m.content)).toEqual(['one']);
    live.socket.connect();
    await until(() => received.length === 3);
    await live.socket.timeout(5_000).emitWithAck('ping');
    expect(received.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(received.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    expect(live.lastSeq(first.conversationID)).toBe(3);

    const page = await alice.client.history(bob.user.id);
    expect(page.items.map((m) => m.seq)).toEqual([3, 2, 1]);
  });

  it('should send over the socket with an idempotency key and deliver to the peer', async () => {
    const alice = await signedIn(app, 'alice');
    const bob = await signedIn(app, 'bob');
    const aliceLive = alice.client.connect({ socketOptions: { transports: ['websocket'] } });
    const bobLive = bob.client.connect({ socketOptions: { transports: ['websocket'] } });
    sessions.push(aliceLive, bobLive);
    await Promise.all([aliceLive.ready(), bobLive.ready()]);
    const got = new Promise<Message>((resolve) => bobLive.onMessage(resolve));
    const sent = await aliceLive.send({
      recipientID: bob.user.id,
      content: 'hello over the socket',
    });
    expect(sent.clientMessageID).toMatch(/^[0-9a-f-]{36}$/);
    expect((await got).id).toBe(sent.id);
    await expect(aliceLive.send({ recipientID: 'not-a-uuid', content: 'x' })).rejects.toMatchObject(
      {
        code: 'VALIDATION_FAILED',
      },
    );
  });

  it('should refresh an expired access token once and retry, and report API errors typed', async () => {
    const carol = await signedIn(app, 'carol');
    const me = await carol.client.me();
    // Simulate an expired access token: the SDK refreshes with the refresh token and retries.
    const refreshToken = (carol.client as unknown as { tokens: { refreshToken: string } }).tokens
      .refreshToken;
    carol.client.setTokens({
      accessToken: 'expired',
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect((await carol.client.me()).id).toBe(me.id);
    const error = await carol.client
      .getUser('00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('client SDK: attachments, search, blocking', () => {
  let app: TestApp;

  before(async () => {
    app = await createTestApp({
      env: { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sdk-attachments-')) },
    });
  });

  after(async () => {
    await app.close();
  });

  it('should upload, send, search, block and unblock through the SDK', async () => {
    const alice = await signedIn(app, 'sdkalice');
    const bob = await signedIn(app, 'sdkbob');
    const upload = await alice.client.uploadAttachment(
      new Blob([Buffer.from('hello file')]),
      'hello.txt',
    );
    expect(upload).toMatchObject({ filename: 'hello.txt', size: 10 });
    const sent = await alice.client.sendMessage({
      recipientID: bob.user.id,
      content: 'sdk searchable words',
      attachmentIDs: [upload.id],
    });
    expect(sent.attachments.map((a) => a.id)).toEqual([upload.id]);
    const found = await bob.client.searchMessages({ q: 'searchable' });
    expect(found.items.map((m) => m.id)).toEqual([sent.id]);
    await bob.client.block(alice.user.id);
    expect((await bob.client.blockedUsers()).map((u) => u.id)).toEqual([alice.user.id]);
    const refused = await alice.client
      .sendMessage({ recipientID: bob.user.id, content: 'hi' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe('FORBIDDEN');
    await bob.client.unblock(alice.user.id);
    expect(await bob.client.blockedUsers()).toEqual([]);
  });
});
