// `npm run bench -- sessions [--users 10000] [--runs 200] [--logins 50] [--cost 10] [--pg URL]`
//
// Issue 12's two figures, each before and after in one run, on the embedded database (or
// PostgreSQL with --pg), in process (the server and this client share one event loop, as a
// blocked server's clients would feel it):
//   1. `users(first: 20)` p95 with the per-request access check (a warm AccessCache: no database
//      read) against the same requests when the check is skipped (how every request ran before
//      issue 12), interleaved so both see the same machine;
//   2. `me` p95 while 50 logins run at once, with bcrypt compares on the event loop (before)
//      and on the worker pool (after).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp, type App } from '../src/app.js';
import { SYSTEM_PRINCIPAL } from '../src/auth/principal.js';
import { defaultTuning, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { SeedRepository } from '../src/users/seed/seed.repository.js';
import { NO_RATE_LIMITS } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '200' },
      logins: { type: 'string', default: '50' },
      cost: { type: 'string', default: '10' },
      pg: { type: 'string' },
    },
  });
  const rows: Record<string, string | number>[] = [];
  await listing(values.pg, Number(values.users), Number(values.runs), rows);
  for (const onWorkers of [false, true]) await flood(values.pg, onWorkers, Number(values.logins), Number(values.cost), rows);
  printTable(`issue 12 before/after (${values.pg ? 'PostgreSQL' : 'PGlite'}; ms, HTTP round trip in process)`, rows);
}

async function start(pg: string | undefined, cost: number, compareOnWorkers = true): Promise<{ app: App; cleanup: () => void }> {
  const dir = pg ? undefined : mkdtempSync(join(tmpdir(), 'bench-sessions-'));
  const env = pg ? { DATABASE_URL: pg } : { DATA_DIR: dir! };
  const config = loadConfig({ ...NO_RATE_LIMITS, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', JWT_SECRET: randomBytes(32).toString('hex'), BCRYPT_COST: String(cost) });
  const base = defaultTuning(pg ? 'postgres' : 'pglite');
  const app = await startApp({ ...config, tuning: { ...base, auth: { compareOnWorkers } } }, { log: createLogger('silent') });
  return { app, cleanup: () => dir && rmSync(dir, { recursive: true, force: true }) };
}

async function admin(app: App): Promise<{ token: string; email: string; password: string }> {
  const email = `bench-${randomUUID()}@example.test`;
  const password = 'bench-password-1';
  await app.services.users.create(SYSTEM_PRINCIPAL, { email, password, role: 'ADMIN' });
  return { token: (await app.services.auth.login(email, password)).accessToken, email, password };
}

async function post(app: App, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<number> {
  const started = performance.now();
  const response = await fetch(app.server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (body.errors && !query.includes('login')) throw new Error(`bench request failed: ${JSON.stringify(body.errors)}`);
  return performance.now() - started;
}

async function listing(pg: string | undefined, users: number, runs: number, rows: Record<string, string | number>[]): Promise<void> {
  const { app, cleanup } = await start(pg, 4);
  try {
    const have = await app.services.db.prisma.user.count();
    if (have < users) await new SeedRepository(app.services.db.prisma).seed(randomBytes(3).toString('hex'), users - have, 50_000, null, () => undefined);
    const { token } = await admin(app);
    const query = '{ users(first: 20) { edges { cursor node { id email name } } pageInfo { hasNextPage } } }';
    const access = app.services.access;
    const check = access.check.bind(access);
    const times = { with: [] as number[], without: [] as number[] };
    for (let i = 0; i < 20; i++) await post(app, token, query);
    const loadsBefore = access.loads;
    for (let i = 0; i < runs; i++) {
      // "Before": the verified token's principal passes as it is, as before issue 12.
      access.check = (p) => Promise.resolve(p);
      times.without.push(await post(app, token, query));
      access.check = check;
      times.with.push(await post(app, token, query));
    }
    for (const [label, list] of [
      ['users(first: 20), no access check (before)', times.without],
      ['users(first: 20), access check (after)', times.with],
    ] as const) {
      list.sort((a, b) => a - b);
      rows.push({ case: label, n: list.length, p50: ms(percentile(list, 50)), p95: ms(percentile(list, 95)), note: `${users.toLocaleString('en')} users` });
    }
    rows.push({ case: 'access-cache reads during the listing runs', n: runs, p50: '', p95: '', note: String(access.loads - loadsBefore) });
  } finally {
    await app.stop();
    cleanup();
  }
}

async function flood(pg: string | undefined, onWorkers: boolean, logins: number, cost: number, rows: Record<string, string | number>[]): Promise<void> {
  const { app, cleanup } = await start(pg, cost, onWorkers);
  try {
    const { token, email, password } = await admin(app);
    const login = `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)}) { accessToken } }`;
    const me = '{ me { id } }';
    for (let i = 0; i < 10; i++) await post(app, token, me);
    let done = false;
    const started = performance.now();
    const flooding = Promise.all(Array.from({ length: logins }, () => post(app, undefined, login))).then(() => {
      done = true;
    });
    const times: number[] = [];
    while (!done) times.push(await post(app, token, me));
    await flooding;
    const took = performance.now() - started;
    times.sort((a, b) => a - b);
    rows.push({
      case: `me during ${logins} parallel logins, bcrypt ${onWorkers ? 'on workers (after)' : 'on the event loop (before)'}`,
      n: times.length,
      p50: ms(percentile(times, 50)),
      p95: ms(percentile(times, 95)),
      note: `cost ${cost}; the ${logins} logins took ${ms(took)} ms`,
    });
  } finally {
    await app.stop();
    cleanup();
  }
}
