// How the benchmarks start the server: the way `npm start` does, with the Node flags of its
// start script (the heap limit, see README "Memory"), as its own process, so the figures are the
// ones users get and the load generator does not share the server's event loop.
// BENCH_SERVER_NODE_ARGS adds flags for one run, e.g. "--cpu-prof" to profile the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../devkit/free-port.js';

/** Arguments for process.execPath: the start script's flags, extra flags, then the entry point. */
export function serverArgs(root = projectRoot()): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') throw new Error(`the start script no longer runs node directly: ${pkg.scripts.start}`);
  const flags = words.slice(1).filter((w) => w.startsWith('--'));
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  return [...flags, ...extra, join(root, 'dist/src/main.js')];
}

export const BENCH_ADMIN = { email: 'bench@example.test', password: 'bench-password-1' };

/**
 * Benchmarks measure throughput from one address and one principal: the per-IP and per-principal
 * rate limits (which would answer 429 within a second) are off unless a bench turns them on.
 */
export const NO_RATE_LIMITS = { RATE_LIMIT_POINTS: '0', RATE_LIMIT_IP_POINTS: '0' } as const;

export interface ServerProcess {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  wsUrl: string;
  pid: number;
  child: ChildProcess;
  /** An access token for the bench admin. */
  login(email?: string, password?: string): Promise<string>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` on a free port with the bench admin and `env`, and waits until
 * /readyz answers. Logs go to stderr at `warn` unless env says otherwise.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { stdout?: 'ignore' | 'pipe' | 'inherit'; /** Another checkout's built server (see builds.bench.ts). */ root?: string } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, serverArgs(options.root), {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
      SHUTDOWN_DELAY: '0s',
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      ...NO_RATE_LIMITS,
      ...env,
    },
    stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not become ready within 120 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `${base}/graphql`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    child,
    login: (email = BENCH_ADMIN.email, password = BENCH_ADMIN.password) => login(url, email, password),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function login(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', variables: { e: email, p: password } }),
  });
  const body = (await response.json()) as { data?: { login: { accessToken: string } }; errors?: unknown };
  if (!body.data) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  return body.data.login.accessToken;
}
