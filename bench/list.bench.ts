// `npm run bench -- list [--pg URL] [--users 1000000] [--pglite-users 100000] [--runs 30] [--skip-pglite] [--skip-pg]`
// Latency of the users listing, totalCount and userStats through the real server over HTTP
// (so the figures include GraphQL execution and loopback, i.e. they are an upper bound on the
// server-side time), on PostgreSQL with 1M users and on PGlite with 100k. Prints EXPLAIN plans
// so every documented filter and sort can be seen to use an index.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { SYSTEM_PRINCIPAL } from '../src/auth/principal.js';
import { createLogger } from '../src/logger.js';
import { normalizeFilter, normalizeOrder } from '../src/users/listing/listing.service.js';
import type { SortKey, UserFilter } from '../src/users/listing/listing.model.js';
import { SeedRepository } from '../src/users/seed/seed.repository.js';
import { NO_RATE_LIMITS } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

interface Case {
  name: string;
  kind: 'first page' | 'deep page' | 'search' | 'totalCount' | 'userStats';
  target: number;
  query: string;
  variables: Record<string, unknown>;
  /** For EXPLAIN: the listing request this case sends. */
  listing?: { filter: UserFilter; order: SortKey[] };
}

const SORTS = ['CREATED_AT', 'UPDATED_AT', 'EMAIL', 'NAME', 'LAST_NAME', 'LAST_LOGIN_AT'] as const;
const PAGE = 'query($first:Int,$after:String,$last:Int,$before:String,$filter:UserFilter,$orderBy:[UserOrder!]){users(first:$first,after:$after,last:$last,before:$before,filter:$filter,orderBy:$orderBy){edges{cursor node{id email name lastLoginAt createdAt}} pageInfo{hasNextPage hasPreviousPage endCursor startCursor}}}';
const COUNT = 'query($filter:UserFilter){users(first:1,filter:$filter){totalCount}}';
const STATS = 'query($from:DateTime,$to:DateTime){userStats(from:$from,to:$to){total active inactive deleted verified byRole{role count} createdInRange loggedInInRange signupsByDay{date count}}}';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/bench_list' },
      users: { type: 'string', default: '1000000' },
      'pglite-users': { type: 'string', default: '100000' },
      runs: { type: 'string', default: '30' },
      'skip-pg': { type: 'boolean', default: false },
      'skip-pglite': { type: 'boolean', default: false },
      'no-explain': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!values['skip-pg']) {
    await ensureDatabase(values.pg);
    await benchOne('PostgreSQL', { DATABASE_URL: values.pg }, Number(values.users), runs, !values['no-explain']);
  }
  if (!values['skip-pglite']) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pglite-'));
    try {
      await benchOne('PGlite', { DATA_DIR: dir }, Number(values['pglite-users']), runs, !values['no-explain']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await client.end();
}

async function benchOne(label: string, env: Record<string, string>, users: number, runs: number, explain: boolean): Promise<void> {
  const config = loadConfig({ ...NO_RATE_LIMITS, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', JWT_SECRET: randomBytes(32).toString('hex'), BCRYPT_COST: '4' });
  const app = await startApp(config, { log: createLogger('silent') });
  try {
    const prisma = app.services.db.prisma;
    const have = await prisma.user.count();
    if (have < users) {
      const started = performance.now();
      process.stdout.write(`${label}: seeding ${(users - have).toLocaleString('en')} users…\n`);
      await new SeedRepository(prisma).seed(randomBytes(3).toString('hex'), users - have, 50_000, null, () => undefined);
      await new SeedRepository(prisma).analyze();
      process.stdout.write(`${label}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
    const total = await prisma.user.count();
    // A real admin's token: every request then pays the access check it pays in production.
    const email = `bench-admin-${randomUUID()}@example.test`;
    await app.services.users.create(SYSTEM_PRINCIPAL, { email, password: 'bench-password-1', role: 'ADMIN' });
    const token = (await app.services.auth.login(email, 'bench-password-1')).accessToken;
    const cases = await buildCases(app, token);
    const rows: Record<string, string | number>[] = [];
    for (const c of cases) {
      const times = await measure(app, token, c, runs);
      const p95 = percentile(times, 95);
      rows.push({ case: c.name, kind: c.kind, p50: ms(percentile(times, 50)), p95: ms(p95), max: ms(times[times.length - 1]!), target: `≤ ${c.target}`, ok: p95 <= c.target ? 'yes' : 'NO' });
    }
    printTable(`${label}, ${total.toLocaleString('en')} users, ${runs} runs per case (ms, HTTP round trip)`, rows);
    if (explain) await printPlans(app, cases);
  } finally {
    await app.stop();
  }
}

interface PageData {
  users: { edges: { cursor: string; node: { id: string; email: string } }[]; pageInfo: { startCursor: string | null; endCursor: string | null } };
}

async function gql<T = unknown>(app: App, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(app.server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

async function measure(app: App, token: string, c: Case, runs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) await gql(app, token, c.query, c.variables);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await gql(app, token, c.query, c.variables);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

async function buildCases(app: App, token: string): Promise<Case[]> {
  const cases: Case[] = [];
  const page = (name: string, kind: Case['kind'], target: number, filter: UserFilter, orderBy: SortKey[], extra: Record<string, unknown> = {}) =>
    cases.push({ name, kind, target, query: PAGE, variables: { first: 20, filter, orderBy, ...extra }, listing: { filter, order: orderBy } });

  for (const field of SORTS) {
    for (const direction of ['ASC', 'DESC'] as const) page(`sort ${field} ${direction}`, 'first page', 50, {}, [{ field, direction }]);
  }
  // A cursor near the end of each sort: the last page backward gives its start cursor.
  for (const field of SORTS) {
    for (const direction of ['ASC', 'DESC'] as const) {
      const orderBy = [{ field, direction }];
      const tail = await gql<PageData>(app, token, PAGE, { last: 25, orderBy });
      page(`deep page ${field} ${direction}`, 'deep page', 50, {}, orderBy, { after: tail.users.pageInfo.startCursor });
    }
  }
  const sample = await gql<PageData>(app, token, PAGE, { first: 20, orderBy: [{ field: 'EMAIL', direction: 'ASC' }] });
  const someone = sample.users.edges[7]!.node;
  const ids = sample.users.edges.map((e) => e.node.id);
  const now = Date.now();
  const day = 86_400_000;
  const filters: [string, Record<string, unknown>][] = [
    ['email', { email: someone.email.toUpperCase() }],
    ['ids (20)', { ids }],
    ['roles ADMIN', { roles: ['ADMIN'] }],
    ['roles VIEWER+ADMIN', { roles: ['ADMIN', 'VIEWER'] }],
    ['isActive false', { isActive: false }],
    ['isEmailVerified false', { isEmailVerified: false }],
    ['createdAt last 30 days', { createdAt: { gte: new Date(now - 30 * day).toISOString() } }],
    ['updatedAt 2 years ago', { updatedAt: { gte: new Date(now - 730 * day).toISOString(), lt: new Date(now - 700 * day).toISOString() } }],
    ['lastLoginAt last 7 days', { lastLoginAt: { gte: new Date(now - 7 * day).toISOString() } }],
    ['lastLoginAt isNull', { lastLoginAt: { isNull: true } }],
    ['deleted ONLY', { deleted: 'ONLY' }],
    ['deleted INCLUDE', { deleted: 'INCLUDE' }],
    // Attributes (seeded by SeedRepository): a common value, a rare one, a list, a nested flag,
    // and a numeric range ANDed with an equality.
    ['attributes plan = pro (25%)', { attributes: [{ path: 'plan', eq: 'pro' }] }],
    ['attributes tenantId = t-42 (0.01%)', { attributes: [{ path: 'tenantId', eq: 't-42' }] }],
    ['attributes plan in [team, enterprise]', { attributes: [{ path: 'plan', in: ['team', 'enterprise'] }] }],
    ['attributes flags.beta exists', { attributes: [{ path: 'flags.beta', exists: true }] }],
    ['attributes plan = enterprise, seats >= 90', { attributes: [{ path: 'plan', eq: 'enterprise' }, { path: 'seats', gte: 90 }] }],
  ];
  for (const [name, filter] of filters) page(`filter ${name}`, 'first page', 50, filter, []);
  for (const term of ['hopper', 'lucía', someone.email.slice(0, 12), 'gmail.test', 'zz-nobody']) {
    page(`search "${term}"`, 'search', 100, { search: term }, []);
  }
  for (const [name, filter] of [
    ['all live users', {}],
    ['isActive false', { isActive: false }],
    ['roles ADMIN', { roles: ['ADMIN'] }],
    ['createdAt last year', { createdAt: { gte: new Date(now - 365 * day).toISOString() } }],
    ['search "hopper"', { search: 'hopper' }],
  ] as [string, Record<string, unknown>][]) {
    cases.push({ name: `totalCount ${name}`, kind: 'totalCount', target: 300, query: COUNT, variables: { filter } });
  }
  cases.push({ name: 'userStats last 30 days', kind: 'userStats', target: 500, query: STATS, variables: {} });
  cases.push({ name: 'userStats 5 years', kind: 'userStats', target: 500, query: STATS, variables: { from: new Date(now - 1826 * day).toISOString() } });
  return cases;
}

/** The index each listing case uses (first line of its plan that names an index or a scan). */
async function printPlans(app: App, cases: Case[]): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const c of cases) {
    if (!c.listing) continue;
    const filter = normalizeFilter(c.listing.filter);
    const order = normalizeOrder(c.listing.order);
    const lines = await app.services.usersRepository.explainPage({ filter, order, limit: 20, backward: false, from: undefined }, new Date());
    const scans = lines.filter((l) => /Scan/.test(l)).map((l) => l.replace(/\s+\(cost.*$/, '').replace(/^[\s->]+/, ''));
    rows.push({ case: c.name, plan: [...new Set(scans)].join('; ') });
  }
  printTable('EXPLAIN (first page of each listing case)', rows);
}
