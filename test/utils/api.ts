import { randomUUID } from 'node:crypto';
import { expect } from 'expect';
import type { Message } from '../../libs/contracts/src';
import type { RegisteredUser } from './factories';
import type { TestApp } from './test-app';

/** The HTTP calls and assertions most suites share (one copy here instead of one per suite). */

/** `POST /api/messages/send` as `from`, unchecked: the caller asserts the answer. */
export function postMessage(app: TestApp, from: RegisteredUser, body: Record<string, unknown>) {
  return app.http().post('/api/messages/send').set('Authorization', from.auth).send(body);
}

/** Sends a message over HTTP and returns the stored message. */
export async function sendHttp(
  app: TestApp,
  from: RegisteredUser,
  body: Record<string, unknown>,
): Promise<Message> {
  const response = await postMessage(app, from, body);
  if (response.status !== 201) {
    throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return (response.body as { data: Message }).data;
}

/**
 * Creates a group as `owner`: `body` is its name, or fields of the request (a unique name unless
 * given). The answer's `data`, typed as the caller needs.
 */
export async function createGroup<T = { id: string; conversationID: string }>(
  app: TestApp,
  owner: RegisteredUser,
  body: string | Record<string, unknown> = 'team',
): Promise<T> {
  const response = await app
    .http()
    .post('/api/groups')
    .set('Authorization', owner.auth)
    .send(
      typeof body === 'string'
        ? { name: body }
        : { name: `group ${randomUUID().slice(0, 8)}`, ...body },
    );
  if (response.status !== 201) {
    throw new Error(`create group failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return (response.body as { data: T }).data;
}

export async function joinGroup(
  app: TestApp,
  user: RegisteredUser,
  groupId: string,
): Promise<void> {
  const response = await app
    .http()
    .post(`/api/groups/${groupId}/join`)
    .set('Authorization', user.auth);
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`join failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/**
 * The error envelope: `status`, `success: false`, `code`, a message and the request id, as JSON with
 * no stack trace or source path in it; with `field`, a detail names that field.
 */
export function expectError(
  response: { status: number; body: unknown; headers?: Record<string, unknown> },
  status: number,
  code: string,
  field?: string,
): void {
  expect({ status: response.status, body: response.body }).toMatchObject({
    status,
    body: {
      success: false,
      error: { code, message: expect.any(String), requestId: expect.any(String) },
    },
  });
  if (response.headers) {
    expect(response.headers['content-type']).toContain('application/json');
  }
  expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (field !== undefined) {
    const details = (response.body as { error: { details?: { field: string }[] } }).error.details;
    expect(details?.map((detail) => detail.field)).toContain(field);
  }
}
