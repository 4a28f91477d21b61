import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WS_PATH } from '../../../libs/contracts/src';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * A plain-WebSocket upgrade: path `/ws` (or `/ws/`) with no `EIO` query parameter. Socket.IO clients
 * always send `EIO=4` (on `/ws/`), so they never match.
 */
export function isPlainWsUpgrade(url: string | undefined): boolean {
  if (!url) {
    return false;
  }
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path !== WS_PATH && path !== `${WS_PATH}/`) {
    return false;
  }
  return query === -1 || !new URLSearchParams(url.slice(query + 1)).has('EIO');
}

/**
 * Puts one dispatcher in front of the HTTP server's `upgrade` listeners (engine.io's among them):
 * plain-WebSocket requests go to `plain` only, everything else to the listeners that were there
 * before, exactly as before. Without this engine.io would also see `/ws/` requests (it matches by
 * path prefix and answers 400 to a request without `EIO`) and, for any path it does not serve, end
 * a socket that has not written a byte within a second, which a slow token check could exceed.
 * Returns an undo function.
 */
export function routePlainWsUpgrades(server: HttpServer, plain: UpgradeHandler): () => void {
  const previous = server.listeners('upgrade') as UpgradeHandler[];
  const dispatch: UpgradeHandler = (request, socket, head) => {
    if (isPlainWsUpgrade(request.url)) {
      plain(request, socket, head);
      return;
    }
    for (const listener of previous) {
      listener.call(server, request, socket, head);
    }
  };
  server.removeAllListeners('upgrade');
  server.on('upgrade', dispatch);
  return () => {
    server.off('upgrade', dispatch);
    for (const listener of previous) {
      server.on('upgrade', listener);
    }
  };
}

/** Answers an upgrade request with a plain HTTP error (the SPEC envelope) and closes the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  error: { code: string; message: string },
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ success: false, error });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
