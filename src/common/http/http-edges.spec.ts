import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { answerClientErrors, limitSlowRequests } from './http-edges';

/** Sends raw bytes and resolves with everything the server wrote before closing. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function envelopeOf(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as unknown;
}

describe('HTTP edges', () => {
  let server: Server;
  let port: number;

  before(async () => {
    // A fast check interval so the request timeout fires within the test, not 30 s later.
    server = createServer({ connectionsCheckingInterval: 50 }, (request, response) => {
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    answerClientErrors(server);
    limitSlowRequests(server, { headersMs: 300, requestMs: 400 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('should answer a body that never arrives with the envelope instead of waiting minutes', async () => {
    const started = Date.now();
    const response = await exchange(
      port,
      'POST /api/groups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.startsWith('HTTP/1.1 400')).toBe(true);
    expect(envelopeOf(response)).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_FAILED', message: 'The request was not received in time' },
    });
  });

  it('should answer garbage instead of HTTP with the envelope and a request id', async () => {
    const response = await exchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
    expect(envelopeOf(response)).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_FAILED', requestId: expect.any(String) },
    });
  });
});
