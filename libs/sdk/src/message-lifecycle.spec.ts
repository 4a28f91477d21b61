import { describe, it } from 'node:test';
import { expect } from 'expect';
import type { Message } from '../../contracts/src';
import { RealtimeSession, type MessageChange, type RealtimeOptions } from './realtime-session';
import { FakeClock, FakeSocket } from '../test/fakes';

function msg(seq: number, version: number, patch: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationID: 'c1',
    seq,
    senderID: 'u1',
    recipientID: 'u2',
    groupID: null,
    content: `text ${seq}`,
    messageType: 'text',
    clientMessageID: null,
    timestamp: '2026-01-01T00:00:00.000Z',
    delivered: false,
    read: false,
    attachments: [],
    version,
    editedAt: null,
    deleted: false,
    replyToID: null,
    threadRootID: null,
    replyCount: 0,
    lastReplyAt: null,
    mentions: [],
    reactions: [],
    ...patch,
  };
}

function session(options: Partial<RealtimeOptions> = {}) {
  const socket = new FakeSocket();
  socket.connected = true;
  const live = new RealtimeSession({
    baseUrl: 'http://api.test',
    token: () => 'token',
    confirmDelivery: false,
    retry: { clock: new FakeClock(true), random: () => 0.5 },
    createSocket: () => socket.asSocket(),
    ...options,
  });
  const changes: MessageChange[] = [];
  live.onChange((change) => changes.push(change));
  return { live, socket, changes };
}

const pulls = (socket: FakeSocket) =>
  socket.requests.filter((r) => r.event === 'sync').map((r) => r.payload);

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RealtimeSession message lifecycle (fake transport)', () => {
  it('should apply an update whose version is above the held one and ignore stale or duplicate ones', () => {
    const { live, socket, changes } = session();
    socket.fire('message', msg(1, 1));
    socket.fire('message_updated', { message: msg(1, 2, { content: 'edited' }) });
    socket.fire('message_updated', { message: msg(1, 2, { content: 'edited' }) });
    socket.fire('message_updated', { message: msg(1, 1, { content: 'stale' }) });
    expect(live.message('c1', 'm1')?.content).toBe('edited');
    expect(live.version('c1')).toBe(2);
    expect(changes.map((c) => [c.kind, c.message.content])).toEqual([['updated', 'edited']]);
    expect(pulls(socket)).toEqual([]);
  });

  it('should turn a held message into a tombstone on message_deleted, once', () => {
    const { live, socket, changes } = session();
    socket.fire('message', msg(1, 1, { reactions: [{ emoji: '👍', count: 1, userIDs: ['u2'] }] }));
    socket.fire('message_deleted', { conversationID: 'c1', id: 'm1', seq: 1, version: 2 });
    socket.fire('message_deleted', { conversationID: 'c1', id: 'm1', seq: 1, version: 2 });
    socket.fire('message_updated', { message: msg(1, 1, { content: 'late edit' }) });
    expect(live.message('c1', 'm1')).toMatchObject({
      id: 'm1',
      seq: 1,
      deleted: true,
      content: '',
      reactions: [],
      version: 2,
    });
    expect(changes.map((c) => c.kind)).toEqual(['deleted']);
  });

  it('should pull changes from the held version, paged until hasMore is false, on a version gap', async () => {
    const { live, socket, changes } = session();
    const pages = [
      { messages: [msg(1, 3, { content: 'edited' })], version: 3, hasMore: true },
      { messages: [msg(2, 5, { deleted: true, content: '' })], version: 5, hasMore: false },
    ];
    socket.answer = (event) =>
      Promise.resolve(
        event === 'sync' ? { success: true, data: pages.shift() } : { success: false },
      );
    socket.fire('message', msg(1, 1));
    socket.fire('message', msg(2, 2));
    // Versions 3 and 4 were missed: the reaction at version 5 is a gap.
    socket.fire('message_updated', {
      message: msg(2, 5, { reactions: [{ emoji: '👍', count: 1, userIDs: ['u2'] }] }),
    });
    await settle();
    expect(pulls(socket)).toEqual([
      { conversationID: 'c1', sinceVersion: 2, limit: 100 },
      { conversationID: 'c1', sinceVersion: 3, limit: 100 },
    ]);
    expect(live.version('c1')).toBe(5);
    expect(live.messages('c1').map((m) => [m.content, m.deleted])).toEqual([
      ['edited', false],
      ['text 2', false],
    ]);
    // The version-5 live update was applied first; the page's version-5 state is not newer.
    expect(changes.map((c) => [c.kind, c.message.id, c.message.version])).toEqual([
      ['updated', 'm2', 5],
      ['updated', 'm1', 3],
    ]);
  });

  it('should pull once more when another gap shows up while a pull is running', async () => {
    const { live, socket } = session();
    let release: (page: unknown) => void = () => undefined;
    const pages: Promise<unknown>[] = [
      new Promise((resolve) => (release = resolve)),
      Promise.resolve({ messages: [msg(1, 6, { content: 'latest' })], version: 6, hasMore: false }),
    ];
    socket.answer = (event) =>
      event === 'sync'
        ? (pages.shift() as Promise<unknown>).then((data) => ({ success: true, data }))
        : Promise.resolve({ success: false });
    socket.fire('message', msg(1, 1));
    socket.fire('message_updated', { message: msg(1, 3, { content: 'v3' }) });
    // Arrives while the first pull is in flight: versions 4 and 5 are unknown too.
    socket.fire('message_updated', { message: msg(1, 6, { content: 'latest' }) });
    release({ messages: [msg(1, 3, { content: 'v3' })], version: 3, hasMore: false });
    await settle();
    expect(pulls(socket)).toEqual([
      { conversationID: 'c1', sinceVersion: 1, limit: 100 },
      { conversationID: 'c1', sinceVersion: 3, limit: 100 },
    ]);
    expect(live.version('c1')).toBe(6);
    expect(live.message('c1', 'm1')?.content).toBe('latest');
  });

  it('should pull changes after a reconnect only for conversations whose listed version moved', async () => {
    let listed: Record<string, number> = { c1: 1, c2: 1 };
    const { live, socket } = session({ listVersions: () => Promise.resolve(listed) });
    socket.answer = (event, payload) =>
      Promise.resolve({
        success: true,
        data:
          event === 'sync'
            ? {
                messages: [msg(1, 2, { content: 'edited while away' })],
                version: 2,
                hasMore: false,
              }
            : payload,
      });
    socket.fire('connect');
    socket.fire('message', msg(1, 1));
    socket.fire('message', msg(1, 1, { id: 'x1', conversationID: 'c2' }));
    await settle();
    expect(pulls(socket)).toEqual([]);
    socket.connected = false;
    socket.fire('disconnect', 'transport close');
    listed = { c1: 2, c2: 1 };
    socket.connected = true;
    socket.fire('connect');
    await settle();
    expect(pulls(socket)).toEqual([{ conversationID: 'c1', sinceVersion: 1, limit: 100 }]);
    expect(live.message('c1', 'm1')?.content).toBe('edited while away');
    expect(live.version('c1')).toBe(2);
  });
});
