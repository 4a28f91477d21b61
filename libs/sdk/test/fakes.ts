/** Fakes for the SDK's unit specs: a clock whose timers are fired by hand and a Socket.IO stand-in. */
import type { Clock } from '../src/retry';
import type { TypedSocket } from '../src/realtime-session';

interface Timer {
  id: number;
  at: number;
  ms: number;
  callback: () => void;
}

/**
 * Time moves only when told. `instant` mode fires each timer on the next microtask (advancing the
 * clock), so retry loops run through at once while every wait is recorded.
 */
export class FakeClock implements Clock {
  time = 1_000_000;
  readonly waits: number[] = [];
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private readonly instant = false) {}

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    this.waits.push(ms);
    if (this.instant) {
      this.time += ms;
      queueMicrotask(callback);
      return 0;
    }
    const timer = { id: this.nextId++, at: this.time + ms, ms, callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pending(): number[] {
    return this.timers.map((timer) => timer.ms);
  }

  /** Fires the earliest pending timer. */
  fireNext(): void {
    const timer = [...this.timers].sort((a, b) => a.at - b.at)[0];
    if (!timer) {
      throw new Error('no timer pending');
    }
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = timer.at;
    timer.callback();
  }
}

type Listener = (...args: unknown[]) => void;

/** Enough of a Socket.IO client socket for RealtimeSession, driven by the spec. */
export class FakeSocket {
  connected = false;
  /** Socket.IO's `active`: false once the server refused the handshake (no automatic retry). */
  active = true;
  connects = 0;
  closed = false;
  readonly io = { reconnection: () => true };
  readonly requests: { event: string; payload: unknown }[] = [];
  /** Answers each emitWithAck; defaults to success with the payload echoed. */
  answer: (event: string, payload: unknown) => Promise<unknown> = (_event, payload) =>
    Promise.resolve({ success: true, data: payload });
  private readonly listeners = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener): this {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  /** Plays a server -> client (or lifecycle) event. */
  fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      listener(...args);
    }
  }

  emit(event: string, payload: unknown): this {
    this.requests.push({ event, payload });
    return this;
  }

  timeout(_ms: number): { emitWithAck: (event: string, payload: unknown) => Promise<unknown> } {
    return {
      emitWithAck: (event, payload) => {
        this.requests.push({ event, payload });
        return this.answer(event, payload);
      },
    };
  }

  connect(): this {
    this.connects += 1;
    return this;
  }

  close(): this {
    this.closed = true;
    return this;
  }

  asSocket(): TypedSocket {
    return this as unknown as TypedSocket;
  }
}
