import { describe, it } from 'node:test';
import { expect } from 'expect';
import { ApiError } from './api-error';
import { RealtimeSession, type RealtimeOptions } from './realtime-session';
import { FakeClock, FakeSocket } from '../test/fakes';

const MESSAGE = { id: 'm1', conversationID: 'c1', seq: 1, content: 'hi' };

function session(
  clock: FakeClock,
  socket = new FakeSocket(),
  options: Partial<RealtimeOptions> = {},
) {
  const live = new RealtimeSession({
    baseUrl: 'http://api.test',
    token: () => 'token',
    confirmDelivery: false,
    retry: { clock, random: () => 0.5 },
    reconnect: { baseDelayMs: 1_000, maxDelayMs: 8_000 },
    createSocket: () => socket.asSocket(),
    ...options,
  });
  return { live, socket };
}

function refusal(code: string, retryAfterMs?: number): Error & { data?: unknown } {
  return Object.assign(
    new Error(code),
    retryAfterMs === undefined ? {} : { data: { retryAfterMs } },
  );
}

const sends = (socket: FakeSocket) =>
  socket.requests.filter((r) => r.event === 'send_message').map((r) => r.payload);

describe('RealtimeSession send retries (fake transport)', () => {
  it('should resend with the same clientMessageID after an UNAVAILABLE ack, waiting retryAfterMs plus jitter', async () => {
    const clock = new FakeClock(true);
    const { live, socket } = session(clock);
    const answers = [
      { success: false, error: { code: 'UNAVAILABLE', message: 'Shed', retryAfterMs: 400 } },
      { success: true, data: MESSAGE },
    ];
    socket.answer = () => Promise.resolve(answers.shift());
    await expect(live.send({ recipientID: 'u2', content: 'hi' })).resolves.toEqual(MESSAGE);
    const [first, second] = sends(socket) as { clientMessageID: string }[];
    expect(first.clientMessageID).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.clientMessageID).toBe(first.clientMessageID);
    expect(clock.waits).toEqual([500]); // 400 + 0.5 x max(100, 200)
  });

  it('should resend after an ack timeout and after RATE_LIMITED, then stop at maxTotalWaitMs', async () => {
    const clock = new FakeClock(true);
    const { live, socket } = session(clock, new FakeSocket(), {
      retry: { clock, random: () => 0.5, maxTotalWaitMs: 5_000, maxAttempts: 10 },
    });
    let calls = 0;
    socket.answer = () => {
      calls += 1;
      if (calls === 1) {
        return Promise.reject(new Error('operation has timed out'));
      }
      return Promise.resolve({
        success: false,
        error: { code: 'RATE_LIMITED', message: 'Slow down', retryAfterMs: 2_000 },
      });
    };
    const error = await live
      .send({ recipientID: 'u2', content: 'hi', clientMessageID: 'k-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterMs: 2_000 });
    // 375 ms backoff after the timeout, 2,500 after the first 429; the next 2,500 would pass 5 s.
    expect(clock.waits).toEqual([375, 2_500]);
    expect(sends(socket)).toEqual([
      { recipientID: 'u2', content: 'hi', clientMessageID: 'k-1' },
      { recipientID: 'u2', content: 'hi', clientMessageID: 'k-1' },
      { recipientID: 'u2', content: 'hi', clientMessageID: 'k-1' },
    ]);
  });

  it('should not resend when the server rejects the message itself', async () => {
    const clock = new FakeClock(true);
    const { live, socket } = session(clock);
    socket.answer = () =>
      Promise.resolve({ success: false, error: { code: 'FORBIDDEN', message: 'Blocked' } });
    await expect(live.send({ recipientID: 'u2', content: 'hi' })).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(sends(socket)).toHaveLength(1);
  });
});

describe('RealtimeSession reconnects (fake transport)', () => {
  it('should reconnect with jittered exponential backoff while the handshake is refused as UNAVAILABLE', () => {
    const clock = new FakeClock();
    const { socket } = session(clock);
    socket.active = false; // Socket.IO gives up after a middleware refusal
    const delays: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      socket.fire('connect_error', refusal('UNAVAILABLE'));
      delays.push(...clock.pending);
      clock.fireNext();
      expect(socket.connects).toBe(attempt + 1);
    }
    // random 0.5: 3/4 of 1, 2, 4, 8, 8 s (capped).
    expect(delays).toEqual([750, 1_500, 3_000, 6_000, 6_000]);
  });

  it('should wait at least the retryAfterMs of a refusal, and start over once connected', () => {
    const clock = new FakeClock();
    const { socket } = session(clock);
    socket.active = false;
    socket.fire('connect_error', refusal('UNAVAILABLE', 5_000));
    expect(clock.pending).toEqual([6_000]); // 5 s + 0.5 x 2 s of jitter (capped)
    clock.fireNext();
    socket.connected = true;
    socket.fire('connect');
    socket.connected = false;
    socket.fire('connect_error', refusal('UNAVAILABLE'));
    expect(clock.pending).toEqual([750]);
  });

  it('should reconnect after a server shutdown, after its hint plus jitter, but not after a plain server disconnect', () => {
    const clock = new FakeClock();
    const { socket } = session(clock);
    socket.fire('disconnect', 'io server disconnect');
    expect(clock.pending).toEqual([]);
    socket.fire('shutdown', { reconnect: true, retryAfterMs: 2_000 });
    socket.fire('disconnect', 'io server disconnect');
    expect(clock.pending).toEqual([2_500]);
    clock.fireNext();
    expect(socket.connects).toBe(1);
  });

  it('should leave transport failures to Socket.IO, which retries them itself', () => {
    const clock = new FakeClock();
    const { socket } = session(clock);
    socket.fire('connect_error', new Error('websocket error'));
    expect(clock.pending).toEqual([]);
  });

  it('should refresh the token once on an UNAUTHORIZED refusal, then reject ready() if refused again', async () => {
    const clock = new FakeClock();
    let refreshes = 0;
    const { live, socket } = session(clock, new FakeSocket(), {
      refreshToken: () => {
        refreshes += 1;
        return Promise.resolve();
      },
    });
    const ready = live.ready();
    socket.active = false;
    socket.fire('connect_error', refusal('UNAUTHORIZED'));
    await Promise.resolve();
    expect(refreshes).toBe(1);
    clock.fireNext();
    expect(socket.connects).toBe(1);
    socket.fire('connect_error', refusal('UNAUTHORIZED'));
    await expect(ready).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(refreshes).toBe(1);
    expect(clock.pending).toEqual([]);
  });

  it('should cancel a pending reconnect on close()', () => {
    const clock = new FakeClock();
    const { live, socket } = session(clock);
    socket.active = false;
    socket.fire('connect_error', refusal('UNAVAILABLE'));
    expect(clock.pending).toHaveLength(1);
    live.close();
    expect(clock.pending).toEqual([]);
    expect(socket.closed).toBe(true);
  });
});
