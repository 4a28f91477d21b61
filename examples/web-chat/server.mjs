#!/usr/bin/env node
/**
 * Serves the demo chat page: a tiny static server, no framework. The page loads the SDK's ESM build
 * (libs/sdk/dist/esm, from `npm run sdk:build`) and socket.io-client's browser ESM bundle through an
 * import map, and talks to the API at API_URL with CORS.
 *
 *   API_URL=http://localhost:3000 DEMO_PORT=8080 node examples/web-chat/server.mjs
 *
 * SDK_DIST points at another ESM build of the SDK (default libs/sdk/dist/esm).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(import.meta.url);

const port = Number(process.env.DEMO_PORT ?? 8080);
const host = process.env.DEMO_HOST ?? '127.0.0.1';
const apiUrl = (process.env.API_URL ?? 'http://localhost:3000').replace(/\/+$/, '');

const sdkDist = resolve(process.env.SDK_DIST ?? join(root, 'libs', 'sdk', 'dist', 'esm'));
const socketIoDist = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
if (!existsSync(join(sdkDist, 'sdk', 'src', 'index.js'))) {
  process.stderr.write('The SDK is not built: run `npm run sdk:build` (or `npm run demo`).\n');
  process.exit(1);
}

/** URL prefix -> folder it is served from. */
const mounts = [
  ['/sdk/', sdkDist],
  ['/vendor/', socketIoDist],
  ['/', here],
];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.map': 'application/json',
};

function resolvePath(pathname) {
  for (const [prefix, folder] of mounts) {
    if (pathname.startsWith(prefix)) {
      const file = normalize(join(folder, pathname.slice(prefix.length) || 'index.html'));
      // No escaping the mount (../), and the server script itself is not served.
      if (!file.startsWith(folder + sep) || file === fileURLToPath(import.meta.url)) {
        return null;
      }
      return file;
    }
  }
  return null;
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://demo');
  if (pathname === '/config.js') {
    res.writeHead(200, { 'content-type': types['.js'], 'cache-control': 'no-store' });
    res.end(`window.CHAT_API_URL = ${JSON.stringify(apiUrl)};\n`);
    return;
  }
  const file = resolvePath(decodeURIComponent(pathname));
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
});

server.listen(port, host, () => {
  const address = server.address();
  process.stdout.write(`Demo chat on http://${host}:${address.port}/ (API at ${apiUrl})\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
