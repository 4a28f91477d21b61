import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app';

export interface RegisteredUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `Authorization` header value. */
  auth: string;
}

let counter = 0;

export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`.slice(0, 32);
}

/** Registers and logs in a fresh user through the HTTP API. */
export async function registerUser(app: TestApp, prefix = 'user'): Promise<RegisteredUser> {
  const username = uniqueUsername(prefix);
  const email = `${username}@example.com`;
  const password = 'correct-horse-battery';
  const registered = await app
    .http()
    .post('/api/users/register')
    .send({ username, email, password });
  if (registered.status !== 201) {
    throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  }
  const login = await app.http().post('/api/users/login').send({ username, password });
  if (login.status !== 200) {
    throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  }
  const data = login.body.data as {
    accessToken: string;
    refreshToken: string;
    user: { id: string };
  };
  return {
    id: data.user.id,
    username,
    email,
    password,
    accessToken: data.accessToken,
    refreshToken: data.refreshToken,
    auth: `Bearer ${data.accessToken}`,
  };
}
