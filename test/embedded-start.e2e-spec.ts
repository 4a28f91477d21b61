import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { expect } from 'expect';
import { freePort } from './utils/instances';

/**
 * The real `npm start` path: the compiled entry point as a child process, with no DATABASE_URL, so it
 * starts its own embedded PostgreSQL under DATA_DIR. (The test runner has compiled src next to this
 * file, so no separate build is needed.)
 */
const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');
/**
 * The Node flags `npm start` runs it with (package.json: `node <flags> dist/src/main.js`): a flag
 * this Node refuses fails the start here.
 */
const START_FLAGS = ((): string[] => {
  const packageJson = JSON.parse(
    readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'),
  ) as { scripts: { start: string } };
  const match = /^node((?:\s+-\S+)*)\s+dist\/src\/main\.js$/.exec(packageJson.scripts.start);
  if (!match) {
    throw new Error(`unexpected start script: ${packageJson.scripts.start}`);
  }
  return match[1].trim().split(/\s+/).filter(Boolean);
})();
const BOOT_DEADLINE_MS = 60_000;
const EXIT_DEADLINE_MS = 20_000;

/** The parent's environment minus everything that would point the child at our test server. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [
    'DATABASE_URL',
    'TEST_DATABASE_URL',
    'REDIS_URL',
    'JWT_SECRET',
    'NODE_ENV',
    'PORT',
    'DATA_DIR',
    'WORKERS',
    'NODE_TEST_CONTEXT',
  ]) {
    delete env[key];
  }
  return { ...env, LOG_LEVEL: 'info', ...extra };
}

interface Started {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: NodeJS.ProcessEnv, cwd: string): Started {
  const child = spawn(process.execPath, [...START_FLAGS, MAIN], {
    env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out + err, stdout: () => out, stderr: () => err, exited };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitForHealth(baseUrl: string, started: Started): Promise<void> {
  const deadline = Date.now() + BOOT_DEADLINE_MS;
  let exited = false;
  void started.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`the server exited during start-up:\n${started.output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`/health did not answer 200 within ${BOOT_DEADLINE_MS} ms:\n${started.output()}`);
}

async function post(baseUrl: string, route: string, body: unknown) {
  const response = await fetch(`${baseUrl}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, never> };
}

describe('npm start (embedded PostgreSQL, no DATABASE_URL)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'messaging-start-'));
    // The embedded server runs as the postgres OS user when we are root: it must reach the folder.
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  }

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should serve the API, then stop cleanly with exit code 0 on SIGTERM', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const dataDir = tempDir();
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const started = start(childEnv({ PORT: String(port), DATA_DIR: dataDir }), dataDir);
    children.push(started.child);

    await waitForHealth(baseUrl, started);
    const health = (await (await fetch(`${baseUrl}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', database: 'up' });

    const username = `start_${Date.now().toString(36)}`;
    const password = 'correct-horse-battery';
    const registered = await post(baseUrl, '/api/users/register', {
      username,
      email: `${username}@example.com`,
      password,
    });
    expect(registered.status).toBe(201);
    const login = await post(baseUrl, '/api/users/login', { username, password });
    expect(login.status).toBe(200);
    const me = await fetch(`${baseUrl}/api/users/me`, {
      headers: {
        authorization: `Bearer ${(login.body.data as { accessToken: string }).accessToken}`,
      },
    });
    expect(me.status).toBe(200);

    // Without JWT_SECRET outside production, a secret is generated and kept in DATA_DIR.
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
    expect(started.output()).toContain('JWT_SECRET is not set');
    expect(started.output()).not.toContain(password);
    // Logs are JSON from the first line on, start-up lines included (README: Operations).
    const notJson = started
      .stdout()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
    expect(notJson).toEqual([]);

    started.child.kill('SIGTERM');
    const exit = await within(started.exited, EXIT_DEADLINE_MS, 'shutdown after SIGTERM');
    expect({ ...exit, output: exit.code === 0 ? '' : started.output() }).toEqual({
      code: 0,
      signal: null,
      output: '',
    });
    // The embedded PostgreSQL stopped with the app: no postmaster left behind, port closed.
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
  });

  it('should refuse to start with PORT=abc, naming PORT in one stderr line', async () => {
    const dataDir = tempDir();
    const started = start(childEnv({ PORT: 'abc', DATA_DIR: dataDir }), dataDir);
    children.push(started.child);
    const exit = await within(started.exited, EXIT_DEADLINE_MS, 'exit on a bad PORT');
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const lines = started
      .stderr()
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PORT');
    expect(lines[0]).toContain('abc');
    // It stopped before touching the database.
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });

  it('should refuse to start with DATABASE_URL (production mode) and no JWT_SECRET, naming it', async () => {
    const dataDir = tempDir();
    const started = start(
      childEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/unused', DATA_DIR: dataDir }),
      dataDir,
    );
    children.push(started.child);
    const exit = await within(started.exited, EXIT_DEADLINE_MS, 'exit without JWT_SECRET');
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(started.stderr()).toContain('JWT_SECRET');
    // No secret was generated for it.
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(false);
  });
});
