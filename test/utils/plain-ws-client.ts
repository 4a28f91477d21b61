import { WebSocket } from 'ws';

/** A frame the server sent on the plain WebSocket. */
export interface PlainFrame {
  type: string;
  id?: string;
  success?: boolean;
  data?: unknown;
  error?: { code: string; message: string; details?: unknown[] };
}

/** `ws://127.0.0.1:<port>/ws?token=...`, the brief's client URL. */
export function plainWsUrl(baseUrl: string, token?: string): string {
  const url = new URL('/ws', baseUrl.replace(/^http/, 'ws'));
  if (token !== undefined) {
    url.searchParams.set('token', token);
  }
  return url.toString();
}

/**
 * The brief's client, as a new user would write it: `new WebSocket(url)` from the `ws` package.
 * Records every frame from the first one (`connected` comes right after the upgrade), so tests await
 * frames instead of sleeping.
 */
export class PlainWsClient {
  readonly frames: PlainFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly taken = new Set<PlainFrame>();
  private readonly waiters = new Set<() => void>();
  private nextId = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as PlainFrame);
      for (const waiter of [...this.waiters]) {
        waiter();
      }
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString('utf8') }),
      );
    });
  }

  static connect(
    baseUrl: string,
    token: string,
    options: { viaHeader?: boolean; autoPong?: boolean } = {},
  ): Promise<PlainWsClient> {
    const autoPong = options.autoPong ?? true;
    const socket = options.viaHeader
      ? new WebSocket(plainWsUrl(baseUrl), {
          headers: { Authorization: `Bearer ${token}` },
          autoPong,
        })
      : new WebSocket(plainWsUrl(baseUrl, token), { autoPong });
    const client = new PlainWsClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Opens an upgrade that is expected to be refused; resolves with the HTTP status and JSON body. */
  static async refusal(url: string): Promise<{ status: number; body: unknown }> {
    const { status, body } = await PlainWsClient.refusalWithHeaders(url);
    return { status, body };
  }

  /** As `refusal`, with the response headers too (`Retry-After`). */
  static refusalWithHeaders(
    url: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
    const socket = new WebSocket(url);
    socket.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        socket.close();
        reject(new Error('the upgrade was accepted'));
      });
      socket.once('unexpected-response', (_request, response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: kept as text for the assertion message
          }
          resolve({ status: response.statusCode ?? 0, headers: { ...response.headers }, body });
        });
      });
    });
  }

  /** The first frame (already received or still to come) matching, each frame returned once. */
  next(
    predicate: (frame: PlainFrame) => boolean,
    what = 'a frame',
    timeoutMs = 5_000,
  ): Promise<PlainFrame> {
    const find = () => this.frames.find((frame) => !this.taken.has(frame) && predicate(frame));
    return new Promise((resolve, reject) => {
      const settle = (frame: PlainFrame) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        this.taken.add(frame);
        resolve(frame);
      };
      const check = () => {
        const frame = find();
        if (frame) {
          settle(frame);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The next frame of `type` (optionally matching `predicate`). */
  event(type: string, predicate: (data: unknown) => boolean = () => true): Promise<PlainFrame> {
    return this.next((frame) => frame.type === type && predicate(frame.data), `"${type}"`);
  }

  /** Sends `{type, id, data}` and resolves with its ack. */
  async request(type: string, data?: unknown): Promise<PlainFrame> {
    this.nextId += 1;
    const id = `r${this.nextId}`;
    this.send({ type, id, data });
    return this.next((frame) => frame.type === 'ack' && frame.id === id, `the ack of ${id}`);
  }

  /** Resolves at the next WebSocket ping from the server. */
  pinged(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('ping', onPing);
        reject(new Error(`no ping within ${timeoutMs} ms`));
      }, timeoutMs);
      const onPing = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once('ping', onPing);
    });
  }

  /** Resolves with the close code and reason once the server closes the connection. */
  closedWithin(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** A round trip: every frame the server sent before has arrived once this resolves. */
  async flush(): Promise<void> {
    const ack = await this.request('ping');
    if (!ack.success) {
      throw new Error(`ping failed: ${JSON.stringify(ack)}`);
    }
  }

  /** Frames of `type` received so far (for asserting that nothing else arrived). */
  all(type: string): PlainFrame[] {
    return this.frames.filter((frame) => frame.type === type);
  }

  close(): void {
    this.socket.close();
  }
}
