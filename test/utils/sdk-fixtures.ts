import { MessagingClient } from '../../libs/sdk/src';
import { uniqueUsername } from './factories';
import type { TestApp } from './test-app';

/** A fresh account, registered and signed in through the SDK itself. */
export async function signedIn(app: TestApp, prefix: string) {
  const client = new MessagingClient({ baseUrl: app.baseUrl });
  const username = uniqueUsername(prefix);
  const user = await client.register({
    username,
    email: `${username}@example.com`,
    password: 'correct-horse-battery',
  });
  await client.login({ username, password: 'correct-horse-battery' });
  return { client, user };
}

/** Resolves once `predicate` holds (SDK state updated by pushes), polling every 10 ms. */
export function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) {
        resolve();
      } else if (Date.now() > deadline) {
        reject(new Error('condition not met in time'));
      } else {
        setTimeout(tick, 10);
      }
    };
    tick();
  });
}
