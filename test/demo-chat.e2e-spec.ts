import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MessagingClient } from '../libs/sdk/src';
import { uniqueUsername } from './utils/factories';
import { createTestApp, type TestApp } from './utils/test-app';

const root = resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'correct-horse-battery';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const missing = !existsSync(CHROMIUM);
if (missing) {
  if (process.env.CI) {
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium before the tests`);
  }
  process.stdout.write(
    `[demo-chat] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`,
  );
}

/** Starts `examples/web-chat/server.mjs` on a free port; resolves with its URL. */
function startDemoServer(
  apiUrl: string,
  sdkDist: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(root, 'examples/web-chat/server.mjs')], {
    env: { ...process.env, DEMO_PORT: '0', API_URL: apiUrl, SDK_DIST: sdkDist },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on (http:\/\/\S+\/)/.exec(out);
      if (match) {
        resolveUrl({ url: match[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}: ${out}`)));
  });
}

async function signUp(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('signup').click();
  await page.getByTestId('connection').filter({ hasText: 'online' }).waitFor();
}

describe('demo chat page (examples/web-chat) in headless Chromium', { skip: missing }, () => {
  let app: TestApp;
  let demo: { url: string; child: ChildProcess };
  let browser: Browser;
  let sdkOut: string;

  before(async () => {
    app = await createTestApp();
    // The page loads the SDK's ESM build: a fresh one of its own (libs/sdk/dist is npm pack's).
    sdkOut = mkdtempSync(join(tmpdir(), 'demo-sdk-'));
    await promisify(execFile)(process.execPath, [join(root, 'libs/sdk/scripts/build.js')], {
      env: { ...process.env, SDK_OUT_DIR: sdkOut },
    });
    demo = await startDemoServer(app.baseUrl, join(sdkOut, 'esm'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    demo?.child.kill('SIGTERM');
    await app?.close();
    if (sdkOut) {
      rmSync(sdkOut, { recursive: true, force: true });
    }
  });

  it('should let two people sign up and chat: live messages, unread badge, typing, presence, receipts and history paging', async () => {
    const alicePage = await (await browser.newContext()).newPage();
    const bobPage = await (await browser.newContext()).newPage();
    const alice = uniqueUsername('alice');
    const bob = uniqueUsername('bob');
    await signUp(alicePage, demo.url, alice);
    await signUp(bobPage, demo.url, bob);

    // Alice finds Bob and writes; Bob (elsewhere) sees the conversation with an unread badge.
    await alicePage.getByTestId('user-search').fill(bob);
    await alicePage.getByTestId('user-search').press('Enter');
    await alicePage.getByTestId('search-result').filter({ hasText: bob }).click();
    await alicePage.getByTestId('composer').fill('Hello Bob!');
    await alicePage.getByTestId('composer').press('Enter');
    await alicePage.getByTestId('message').filter({ hasText: 'Hello Bob!' }).waitFor();

    const bobsConversation = bobPage.getByTestId('conversation').filter({ hasText: alice });
    await bobsConversation.getByTestId('unread-badge').filter({ hasText: '1' }).waitFor();
    // Presence: Alice is connected, so Bob's list shows her online.
    await expect(
      bobsConversation.getByTestId('presence-dot').getAttribute('class'),
    ).resolves.toContain('online');

    // Bob opens it: the message is there, the badge goes, and Alice's message shows as read.
    await bobsConversation.click();
    await bobPage.getByTestId('message').filter({ hasText: 'Hello Bob!' }).waitFor();
    await bobsConversation.getByTestId('unread-badge').waitFor({ state: 'detached' });
    await alicePage.getByTestId('receipt').filter({ hasText: 'Read' }).waitFor();

    // Bob types: Alice sees the typing indicator; then his reply arrives live.
    await bobPage.getByTestId('composer').pressSequentially('Hi Ali', { delay: 20 });
    await alicePage
      .getByTestId('typing')
      .filter({ hasText: `${bob} is typing` })
      .waitFor();
    await bobPage.getByTestId('composer').pressSequentially('ce!');
    await bobPage.getByTestId('composer').press('Enter');
    await alicePage.getByTestId('message').filter({ hasText: 'Hi Alice!' }).waitFor();
    await alicePage.getByTestId('typing').filter({ hasText: /^$/ }).waitFor();
    await expect(alicePage.getByTestId('thread-presence').textContent()).resolves.toBe('online');

    if (process.env.UPDATE_SCREENSHOT) {
      // docs/demo.png: Alice's view, with a read receipt and Bob typing again.
      await bobPage.getByTestId('composer').pressSequentially('How are', { delay: 20 });
      await alicePage.getByTestId('typing').filter({ hasText: 'is typing' }).waitFor();
      await alicePage.setViewportSize({ width: 960, height: 480 });
      await alicePage.screenshot({ path: join(root, 'docs/demo.png') });
      await bobPage.getByTestId('composer').fill('');
    }

    // History paging: 25 more from Alice (over HTTP); reopened, Bob sees the newest 20 and pages back.
    const aliceApi = new MessagingClient({ baseUrl: app.baseUrl });
    await aliceApi.login({ username: alice, password: PASSWORD });
    const me = await aliceApi.me();
    expect(me.username).toBe(alice);
    const bobId = (await aliceApi.searchUsers(bob, 1))[0].id;
    for (let i = 1; i <= 25; i += 1) {
      await aliceApi.sendMessage({ recipientID: bobId, content: `paged ${i}` });
    }
    await bobPage.getByTestId('message').filter({ hasText: 'paged 25' }).waitFor();
    await bobsConversation.click();
    await bobPage.getByTestId('message').filter({ hasText: 'paged 25' }).waitFor();
    await expect(bobPage.getByTestId('message').count()).resolves.toBe(20);
    await bobPage.getByTestId('older').click();
    await bobPage.getByTestId('message').filter({ hasText: 'Hello Bob!' }).waitFor();
    await expect(bobPage.getByTestId('message').count()).resolves.toBe(27);
    await bobPage.getByTestId('older').waitFor({ state: 'hidden' });
  });
});
