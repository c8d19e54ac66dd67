// The server as a user starts it: `node scripts/start.mjs` (what `npm start` runs: the bundled
// server, dist/main.bundle.js, after a staleness check that finds the build current),
// configured only by the environment, stopped by a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../devkit/free-port.js';
import { hostileCases } from '../testkit/hostile.js';

const root = join(import.meta.dirname, '../..');
const main = join(root, 'scripts/start.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'users-process-'));

beforeAll(() => {
  // global-setup built what `npm start` runs from the current source.
  expect(existsSync(join(root, 'dist/main.bundle.js'))).toBe(true);
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});


interface Started {
  child: ChildProcess;
  /** stdout and stderr interleaved. */
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, cwd = root): Started {
  const child = spawn(process.execPath, [main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', BCRYPT_COST: '4', SHUTDOWN_DELAY: '0s', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Up to 90 s: a cold start on a CI machine running other test files on both cores is slow. */
async function waitForReady(port: number, started: Started): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (started.child.exitCode !== null) throw new Error(`server exited: ${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready: ${started.output()}`);
}

async function login(port: number, email: string, password: string): Promise<{ data?: { login: { accessToken: string } }; errors?: unknown[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', variables: { e: email, p: password } }),
  });
  return (await response.json()) as { data?: { login: { accessToken: string } }; errors?: unknown[] };
}

describe('starting the server', () => {
  it('refuses to start on bad configuration, naming every bad variable', async () => {
    const started = start({ PORT: 'eighty', BCRYPT_COST: '99', DATA_DIR: dataDir });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT/);
    expect(started.output()).toMatch(/BCRYPT_COST/);
  });

  it('requires JWT_SECRET with DATABASE_URL', async () => {
    const started = start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/JWT_SECRET/);
  });

  it('starts on the embedded database, prints the first admin once, keeps its secret, and stops on SIGTERM', async () => {
    const port = await freePort();
    const first = start({ PORT: String(port), DATA_DIR: dataDir, SHUTDOWN_DELAY: '2s' });
    await waitForReady(port, first);
    const match = /Created the first admin: (\S+) \/ (\S+)/.exec(first.output());
    expect(match, first.output()).not.toBeNull();
    const [, email, password] = match!;
    expect(email).toBe('admin@localhost');
    const token = (await login(port, email!, password!)).data?.login.accessToken;
    expect(token).toBeTruthy();
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);

    first.child.kill('SIGTERM');
    // Before the socket closes, the load balancer's probe already sees the instance going.
    await expect.poll(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status), { timeout: 1_500, interval: 50 }).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await first.exited).toBe(0);

    // Same data: no second admin, the same password works, and the old token is still valid.
    const second = start({ PORT: String(port), DATA_DIR: dataDir });
    await waitForReady(port, second);
    expect(second.output()).not.toMatch(/Created the first admin/);
    expect((await login(port, email!, password!)).data?.login.accessToken).toBeTruthy();
    const me = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { email } }' }),
    });
    expect(await me.json()).toEqual({ data: { me: { email: 'admin@localhost' } } });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 240_000);
});

describe('.env', () => {
  it('is read from the working directory, and the real environment wins over it', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'users-dotenv-'));
    const fileDataDir = join(dir, 'from-file');
    const envDataDir = join(dir, 'from-env');
    writeFileSync(join(dir, '.env'), `# a comment\nPORT=${port}\nHOST=127.0.0.1\nDATA_DIR=${fileDataDir}\nADMIN_EMAIL=dotenv@example.test\nADMIN_PASSWORD="dotenv password"\n`);
    const server = start({ DATA_DIR: envDataDir }, dir);
    try {
      await waitForReady(port, server);
      expect((await login(port, 'dotenv@example.test', 'dotenv password')).data?.login.accessToken).toBeTruthy();
      expect(existsSync(join(envDataDir, 'jwt-secret'))).toBe(true);
      expect(existsSync(fileDataDir)).toBe(false);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a hostile client', () => {
  // Express prints a request it could not parse (raw body, password and all) with console.error
  // outside NODE_ENV=test, and answers with an HTML page; graphql-ws prints socket errors.
  it('gets JSON errors, and the process writes nothing but JSON log lines, never the password (production and development)', async () => {
    const password = 'Process-Secret-9c1e';
    for (const nodeEnv of ['production', 'development']) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'users-hostile-'));
      const server = start({ PORT: String(port), DATA_DIR: dir, NODE_ENV: nodeEnv, LOG_LEVEL: 'trace', ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: password });
      try {
        await waitForReady(port, server);
        for (const c of hostileCases('admin@example.test', password)) {
          const answer = await c.send(`http://127.0.0.1:${port}/graphql`);
          if (c.expect) expect({ case: c.name, status: answer?.status, json: answer?.contentType.startsWith('application/json') }).toEqual({ case: c.name, status: c.expect.status, json: true });
        }
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(server.stderr(), nodeEnv).toBe('');
        const lines = server.stdout().split('\n').filter((line) => line !== '');
        expect(lines.length).toBeGreaterThan(10);
        for (const line of lines) {
          expect(() => JSON.parse(line) as unknown, `not a log line: ${line}`).not.toThrow();
          expect(line).not.toContain(password);
        }
      } finally {
        server.child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 300_000);
});
