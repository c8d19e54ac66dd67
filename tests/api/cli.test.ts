// The operator CLI as an operator runs it (node dist/src/cli/users.js), beside a running server on
// the same embedded data dir: it refuses the locked dir naming the server, imports through
// --server instead, and its progress counts committed rows.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../devkit/free-port.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'users-cli-'));
const ADMIN = { email: 'cli-admin@example.test', password: 'cli-admin-password' };
const BASE_ENV = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', BCRYPT_COST: '4', SHUTDOWN_DELAY: '0s', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/users.js'), ...args], { cwd: work, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout })));
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/src/main.js')], { cwd: work, env: { ...BASE_ENV, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, exited };
}

function csvFile(name: string, rows: number, tag: string): string {
  const file = join(work, name);
  const lines = ['email,name'];
  for (let i = 0; i < rows; i++) lines.push(`${tag}-${i}@example.test,"User, ${i}"`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function userExists(port: number, email: string): Promise<boolean> {
  const gql = async (query: string, variables: Record<string, string>, token?: string) =>
    (await (
      await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      })
    ).json()) as { data: Record<string, { accessToken?: string; email?: string } | null> };
  const token = (await gql('mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', { e: ADMIN.email, p: ADMIN.password })).data.login!.accessToken!;
  return (await gql('query($e:String!){userByEmail(email:$e){email}}', { e: email }, token)).data.userByEmail !== null;
}

describe('the CLI beside a running server on the embedded database', () => {
  it('refuses the locked data dir naming the server, imports through --server, and works again once the server stops', async () => {
    const dataDir = join(work, 'data');
    const server = await startServer(dataDir);
    try {
      const file = csvFile('three.csv', 3, 'remote');
      const refused = await run(['import', file], { DATA_DIR: dataDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`in use by process ${server.child.pid}`);
      expect(refused.stderr).toContain('--server');

      const remote = await run(['import', file, '--server', `http://127.0.0.1:${server.port}`, '--email', ADMIN.email, '--password', ADMIN.password], {});
      expect(remote.stderr).toMatch(/SUCCEEDED/);
      expect(remote.stderr).toMatch(/created 3\b/);
      expect(remote.stderr).toMatch(/3 \/ 3 rows committed/);
      expect(remote.code).toBe(0);
      // The server sees them: nothing went into a private copy of the database.
      expect(await userExists(server.port, 'remote-2@example.test')).toBe(true);

      const exported = await run(['export', '--format', 'ndjson', '--server', `http://127.0.0.1:${server.port}`, '--email', ADMIN.email, '--password', ADMIN.password], {});
      expect(exported.code).toBe(0);
      expect(exported.stdout).toContain('"remote-1@example.test"');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    expect(existsSync(join(dataDir, 'service.lock'))).toBe(false);

    // Stopped: the CLI opens the dir itself, and its progress moves chunk by chunk (5,000 rows).
    const big = csvFile('big.csv', 12_000, 'local');
    const local = await run(['import', big], { DATA_DIR: dataDir });
    expect(local.code, local.stderr).toBe(0);
    const progress = local.stderr.split('\n').filter((l) => l.includes('rows committed'));
    expect(progress.map((l) => /([\d,]+) \/ 12,000 rows committed/.exec(l)?.[1])).toEqual(['0', '5,000', '10,000', '12,000']);
    expect(progress.at(-1)).toMatch(/100%.*rows\/s\s+ETA 0s/);
  }, 240_000);

  it('takes over a lock left by a process that died', async () => {
    const dataDir = join(work, 'stale');
    const first = await run(['export', '--format', 'ndjson'], { DATA_DIR: dataDir });
    expect(first.code, first.stderr).toBe(0);
    // A pid that cannot be running (beyond pid_max), as a killed process leaves its lock.
    writeFileSync(join(dataDir, 'service.lock'), JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), command: 'dist/src/main.js', since: '2026-01-01T00:00:00Z' }));
    const again = await run(['export', '--format', 'ndjson'], { DATA_DIR: dataDir });
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(dataDir, 'service.lock'))).toBe(false);
  }, 120_000);
});
