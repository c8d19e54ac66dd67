// `npm run bench -- peers [--pg URL] [--users 1000000] [--seconds 10] [--rounds 3] [--connections 16] [--only w1,w2]`
// Our read path next to its peers, in one run on one PostgreSQL database: our server as
// `npm start` runs it, PostGraphile 5 with the connection-filter plugin, and a bare node:http +
// pg server running exactly our SQL (the ceiling), and two stack floors (issue 14): `floor`, our
// HTTP + GraphQL stack (express 5, Apollo Server 5, graphql-js, a TypeGraphQL schema shaped like
// ours) answering from memory, and `floor-http`, the same schema run by graphql-js alone on
// node:http. The floors are asked exactly what ours is asked. Every system answers each workload
// once first and must return the same rows; then rounds interleave the systems (the order rotates
// each round) under autocannon with a fixed number of connections. Prints req/s, p50 and p99 per
// workload and system, our ratios to each peer, and the floors' ratios to PostGraphile.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { projectRoot } from '../src/paths.js';
import { SeedRepository } from '../src/users/seed/seed.repository.js';
import { freePort } from '../devkit/free-port.js';
import { cpuSeconds } from './import.bench.js';
import { ensureDatabase } from './list.bench.js';
import { BENCH_ADMIN, startServerProcess } from './server-process.js';
import { printTable } from './table.js';

/** The systems that have a request of their own in a workload. */
type Asked = 'ours' | 'postgraphile' | 'bare';
type System = Asked | 'floor' | 'floor-http';
const SYSTEMS: System[] = ['ours', 'postgraphile', 'bare', 'floor', 'floor-http'];
/** The floors serve our schema: they get our request and their answers read as ours. */
const ASKED_AS: Record<System, Asked> = { ours: 'ours', postgraphile: 'postgraphile', bare: 'bare', floor: 'ours', 'floor-http': 'ours' };

interface Request {
  path: string;
  body: string;
}

interface Workload {
  name: string;
  /** Whether the issue's targets (≥ 1.2× PostGraphile, ≥ 0.5× bare) apply. */
  targeted: boolean;
  requests: Record<Asked, Request>;
  /** Each system's answer reduced to what must agree (ids in order, a count). */
  extract: Record<Asked, (body: unknown) => unknown>;
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** The server process's CPU time (user + system) per answered request, in ms. */
  cpuMs: number;
}

const FIELDS = 'id email name createdAt';
/** PostGraphile's Amber preset names the primary key rowId (id is its global Node id). */
const PGL_FIELDS = 'rowId email name createdAt';
const gqlBody = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/bench_peers' },
      users: { type: 'string', default: '1000000' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      only: { type: 'string' },
      /** Measure only these systems (all still answer the row check). */
      systems: { type: 'string', default: SYSTEMS.join(',') },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const secret = randomBytes(32).toString('hex');
  await ensureDatabase(values.pg);
  await seedBenchDatabase(values.pg, secret, Number(values.users));

  const env = { DATABASE_URL: values.pg, JWT_SECRET: secret };
  // NODE_ENV=production, as a deployment runs it and as the peers below run: graphql-js and
  // express skip their development-time checks.
  const ours = await startServerProcess({ ...env, NODE_ENV: 'production' });
  const children: ChildProcess[] = [];
  try {
    const token = await ours.login();
    const postgraphile = await startPeer('postgraphile.server.js', env, children);
    const bare = await startPeer('bare.server.js', env, children);
    const floor = await startPeer('floor.server.js', env, children);
    const floorHttp = await startPeer('floor-http.server.js', env, children);
    const base: Record<System, string> = {
      ours: ours.url,
      postgraphile: `${postgraphile.url}/graphql`,
      bare: bare.url,
      floor: `${floor.url}/graphql`,
      'floor-http': `${floorHttp.url}/graphql`,
    };
    const pids: Record<System, number> = { ours: ours.pid, postgraphile: postgraphile.pid, bare: bare.pid, floor: floor.pid, 'floor-http': floorHttp.pid };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const post = async (system: System, r: Request): Promise<unknown> => {
      const url = system === 'bare' ? `${base.bare}${r.path}` : base[system];
      const response = await fetch(url, { method: 'POST', headers, body: r.body });
      const body = (await response.json()) as { errors?: unknown };
      if (!response.ok || body.errors) throw new Error(`${system} ${r.path}: ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
      return body;
    };

    let workloads = await buildWorkloads(values.pg, token, (system, r) => post(system, r));
    if (values.only) workloads = workloads.filter((w) => values.only!.split(',').some((n) => w.name.startsWith(n)));
    const requestOf = (w: Workload, s: System) => w.requests[ASKED_AS[s]];
    for (const w of workloads) {
      const answers = await Promise.all(SYSTEMS.map(async (s) => JSON.stringify(w.extract[ASKED_AS[s]](await post(s, requestOf(w, s))))));
      if (!answers.every((a) => a === answers[0])) {
        throw new Error(`${w.name}: the systems disagree:\n${SYSTEMS.map((s, i) => `  ${s}: ${answers[i]!.slice(0, 300)}`).join('\n')}`);
      }
    }
    process.stdout.write(`every system returned the same rows for ${workloads.length} workloads\n`);

    const results = new Map<string, Measure[]>();
    const load = (system: System, r: Request, duration: number) =>
      autocannon({
        url: system === 'bare' ? `${base.bare}${r.path}` : base[system],
        method: 'POST',
        headers,
        body: r.body,
        connections,
        duration,
      });
    const measured = SYSTEMS.filter((s) => values.systems.split(',').includes(s));
    for (const w of workloads) for (const s of measured) await load(s, requestOf(w, s), Math.min(2, seconds)); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const w of workloads) {
        const order = measured.map((_, i) => measured[(i + round) % measured.length]!);
        for (const s of order) {
          // CPU per request holds better than req/s on a shared machine, where the wall clock follows others' load.
          const cpuBefore = cpuSeconds(pids[s]);
          const r = await load(s, requestOf(w, s), seconds);
          const cpuMs = ((cpuSeconds(pids[s]) - cpuBefore) * 1000) / Math.max(1, r.requests.total);
          const key = `${w.name}|${s}`;
          const measure = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, cpuMs };
          results.set(key, [...(results.get(key) ?? []), measure]);
        }
      }
      process.stdout.write(`round ${round + 1}/${rounds} done\n`);
    }
    report(workloads, results, measured, { seconds, rounds, connections });
  } finally {
    await ours.stop();
    for (const child of children) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Migrates (through our app) and seeds up to `users`, once per database (soak.bench.ts too). */
export async function seedBenchDatabase(url: string, secret: string, users: number): Promise<void> {
  // The bench admin is made on the empty table, before the seed (bootstrapAdmin only runs then).
  const config = loadConfig({
    DATABASE_URL: url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JWT_SECRET: secret,
    BCRYPT_COST: '4',
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
  });
  const app = await startApp(config, { log: createLogger('silent') });
  try {
    const prisma = app.services.db.prisma;
    const have = await prisma.user.count();
    if (have >= users) return;
    const started = performance.now();
    process.stdout.write(`seeding ${(users - have).toLocaleString('en')} users…\n`);
    const repository = new SeedRepository(prisma);
    await repository.seed(randomBytes(3).toString('hex'), users - have, 50_000, null, () => undefined);
    await repository.analyze();
    process.stdout.write(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await app.stop();
  }
}

/** Starts bench/peers/<file> as its own process; resolves with its base URL and pid once it listens. */
async function startPeer(file: string, env: Record<string, string>, children: ChildProcess[]): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(projectRoot(), 'dist/bench/peers', file)], {
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid! };
}

type Post = (system: System, r: Request) => Promise<unknown>;

interface OurPage {
  data: { users: { edges: { cursor: string; node: { id: string } }[]; totalCount?: number } };
}
interface PglPage {
  data: { allUsers: { edges: { cursor: string; node: { rowId: string } }[]; totalCount?: number } };
}
interface BarePage {
  edges: { cursor: string; node: { id: string } }[];
}

const ourIds = (b: unknown) => (b as OurPage).data.users.edges.map((e) => e.node.id);
const pglIds = (b: unknown) => (b as PglPage).data.allUsers.edges.map((e) => e.node.rowId);
const bareIds = (b: unknown) => (b as BarePage).edges.map((e) => e.node.id);
const pageExtract = { ours: ourIds, postgraphile: pglIds, bare: bareIds };

const OUR_PAGE = `query($first:Int,$after:String,$filter:UserFilter,$orderBy:[UserOrder!]){users(first:$first,after:$after,filter:$filter,orderBy:$orderBy){edges{cursor node{${FIELDS}}} pageInfo{hasNextPage endCursor}}}`;
const PGL_PAGE = `query($first:Int,$after:Cursor,$filter:UserFilter,$orderBy:[UserOrderBy!]){allUsers(first:$first,after:$after,filter:$filter,orderBy:$orderBy){edges{cursor node{${PGL_FIELDS}}} pageInfo{hasNextPage endCursor}}}`;
const LIVE = { deletedAt: { isNull: true } };

async function buildWorkloads(url: string, _token: string, post: Post): Promise<Workload[]> {
  const workloads: Workload[] = [];
  const page = (
    name: string,
    targeted: boolean,
    ours: Record<string, unknown>,
    postgraphile: Record<string, unknown>,
    bare: Record<string, unknown>,
  ) =>
    workloads.push({
      name,
      targeted,
      requests: {
        ours: { path: '/graphql', body: gqlBody(OUR_PAGE, { first: 20, ...ours }) },
        postgraphile: { path: '/graphql', body: gqlBody(PGL_PAGE, { first: 20, ...postgraphile }) },
        bare: { path: '/page', body: JSON.stringify({ first: 20, fields: FIELDS.split(' '), ...bare }) },
      },
      extract: pageExtract,
    });

  page('first page', true, {}, { filter: LIVE, orderBy: ['CREATED_AT_DESC', 'ROW_ID_DESC'] }, {});
  const emailOrder = [{ field: 'EMAIL', direction: 'ASC' }];
  page(
    'filtered page (isActive, role; by email)',
    true,
    { filter: { isActive: true, roles: ['USER'] }, orderBy: emailOrder },
    { filter: { ...LIVE, isActive: { equalTo: true }, role: { in: ['USER'] } }, orderBy: ['EMAIL_ASC', 'ROW_ID_ASC'] },
    { filter: { isActive: true, roles: ['USER'] }, orderBy: emailOrder },
  );

  // A deep page: after the live user 90% of the way down the default order. Each system's own
  // cursor for that row comes from asking it for that row alone.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ id: string }>(
    `SELECT id::text AS id FROM users WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC
     OFFSET (SELECT (count(*) * 0.9)::int FROM users WHERE deleted_at IS NULL) LIMIT 1`,
  );
  const { rows: me } = await client.query<{ id: string }>(`SELECT id::text AS id FROM users WHERE email = 'bench@example.test' AND deleted_at IS NULL`);
  const { rows: someone } = await client.query<{ id: string }>(`SELECT id::text AS id FROM users WHERE deleted_at IS NULL AND created_by_id IS NULL ORDER BY email LIMIT 1 OFFSET 1000`);
  await client.end();
  const deepId = rows[0]!.id;
  const ourCursor = ((await post('ours', { path: '/graphql', body: gqlBody(OUR_PAGE, { first: 1, filter: { ids: [deepId] } }) })) as OurPage).data.users.edges[0]!.cursor;
  const pglCursor = ((await post('postgraphile', {
    path: '/graphql',
    body: gqlBody(PGL_PAGE, { first: 1, filter: { rowId: { equalTo: deepId } }, orderBy: ['CREATED_AT_DESC', 'ROW_ID_DESC'] }),
  })) as PglPage).data.allUsers.edges[0]!.cursor;
  page('deep page (cursor at 90%)', true, { after: ourCursor }, { after: pglCursor, filter: LIVE, orderBy: ['CREATED_AT_DESC', 'ROW_ID_DESC'] }, { after: ourCursor });

  const term = 'hopper';
  const like = { includesInsensitive: term };
  page(
    `search "${term}"`,
    false,
    { filter: { search: term } },
    { filter: { ...LIVE, or: [{ email: like }, { name: like }, { firstName: like }, { lastName: like }] }, orderBy: ['CREATED_AT_DESC', 'ROW_ID_DESC'] },
    { filter: { search: term } },
  );

  workloads.push({
    name: 'totalCount (isActive false)',
    targeted: false,
    requests: {
      ours: { path: '/graphql', body: gqlBody('query($filter:UserFilter){users(first:1,filter:$filter){totalCount}}', { filter: { isActive: false } }) },
      postgraphile: {
        path: '/graphql',
        body: gqlBody('query($filter:UserFilter){allUsers(first:1,filter:$filter){totalCount}}', { filter: { ...LIVE, isActive: { equalTo: false } } }),
      },
      bare: { path: '/count', body: JSON.stringify({ filter: { isActive: false } }) },
    },
    extract: {
      ours: (b) => (b as OurPage).data.users.totalCount,
      postgraphile: (b) => (b as PglPage).data.allUsers.totalCount,
      bare: (b) => (b as { totalCount: number }).totalCount,
    },
  });

  const one = (b: unknown) => b as { id: string; email: string; name: string | null; createdAt: string };
  const pglOne = (b: unknown) => {
    const { rowId, ...rest } = b as { rowId: string; email: string; name: string | null; createdAt: string };
    return { id: rowId, ...rest };
  };
  const row = (u: { id: string; email: string; name: string | null; createdAt: string }) => [u.id, u.email, u.name, new Date(u.createdAt).toISOString()];
  workloads.push({
    name: 'user(id)',
    targeted: true,
    requests: {
      ours: { path: '/graphql', body: gqlBody(`query($id:ID!){user(id:$id){${FIELDS}}}`, { id: someone[0]!.id }) },
      postgraphile: { path: '/graphql', body: gqlBody(`query($id:UUID!){userByRowId(rowId:$id){${PGL_FIELDS}}}`, { id: someone[0]!.id }) },
      bare: { path: '/user', body: JSON.stringify({ id: someone[0]!.id, fields: FIELDS.split(' ') }) },
    },
    extract: {
      ours: (b) => row(one((b as { data: { user: unknown } }).data.user)),
      postgraphile: (b) => row(pglOne((b as { data: { userByRowId: unknown } }).data.userByRowId)),
      bare: (b) => row(one(b)),
    },
  });
  workloads.push({
    name: 'me',
    targeted: true,
    requests: {
      ours: { path: '/graphql', body: gqlBody(`{me{${FIELDS}}}`) },
      postgraphile: { path: '/graphql', body: gqlBody(`{currentUser{${PGL_FIELDS}}}`) },
      bare: { path: '/me', body: JSON.stringify({ fields: FIELDS.split(' ') }) },
    },
    extract: {
      ours: (b) => row(one((b as { data: { me: unknown } }).data.me)),
      postgraphile: (b) => row(pglOne((b as { data: { currentUser: unknown } }).data.currentUser)),
      bare: (b) => row(one(b)),
    },
  });
  if (me[0]?.id === undefined) throw new Error('the bench admin is missing');
  return workloads;
}

function report(workloads: Workload[], results: Map<string, Measure[]>, measured: System[], run: { seconds: number; rounds: number; connections: number }): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const agg = (w: Workload, s: System) => {
    const ms = results.get(`${w.name}|${s}`) ?? [];
    return {
      rps: median(ms.map((m) => m.rps)),
      p50: median(ms.map((m) => m.p50)),
      p99: median(ms.map((m) => m.p99)),
      errors: ms.reduce((n, m) => n + m.errors, 0),
      cpuMs: median(ms.map((m) => m.cpuMs)),
    };
  };
  const rows: Record<string, string | number>[] = [];
  for (const w of workloads) {
    for (const s of measured) {
      const m = agg(w, s);
      rows.push({ workload: w.name, system: s, 'req/s': Math.round(m.rps), 'p50 ms': m.p50.toFixed(1), 'p99 ms': m.p99.toFixed(1), 'CPU ms/req': m.cpuMs.toFixed(2), errors: m.errors });
    }
  }
  const title = `${run.connections} connections, ${run.rounds} interleaved rounds of ${run.seconds} s per workload and system (medians over rounds)`;
  printTable(title, rows);
  const has = (...systems: System[]) => systems.every((s) => measured.includes(s));
  /** a's req/s over b's, or undefined when either was not measured. */
  const ratio = (w: Workload, a: System, b: System) => (has(a, b) ? agg(w, a).rps / agg(w, b).rps : undefined);
  const times = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(2)}×`);

  if (has('ours', 'postgraphile', 'bare')) {
    const first = agg(workloads.find((w) => w.name === 'first page') ?? workloads[0]!, 'ours').rps;
    const ratios = workloads.map((w) => {
      const us = agg(w, 'ours');
      const vsPgl = ratio(w, 'ours', 'postgraphile')!;
      const vsBare = ratio(w, 'ours', 'bare')!;
      const tail = us.p99 / us.p50;
      return {
        workload: w.name,
        'us / PostGraphile': times(vsPgl),
        'us / bare': times(vsBare),
        'us / floor': times(ratio(w, 'ours', 'floor')),
        'our p99/p50': tail.toFixed(1),
        'targets (≥1.2×, ≥0.5×, p99≤2×p50)': w.targeted ? (vsPgl >= 1.2 && vsBare >= 0.5 && tail <= 2 ? 'met' : 'NOT met') : '-',
      };
    });
    printTable('Our ratios', ratios);
    const deep = workloads.find((w) => w.name.startsWith('deep page'));
    if (deep) process.stdout.write(`\ndeep page / first page (ours, req/s): ${(agg(deep, 'ours').rps / first).toFixed(2)} (target ≥ 0.9)\n`);
  }

  // Whether the stack itself leaves room for the target: the floor does no work of its own, so
  // if it does not reach 1.2× PostGraphile, no server on this stack can.
  if (has('floor', 'postgraphile')) {
    const floors = workloads.map((w) => {
      const floorVsPgl = ratio(w, 'floor', 'postgraphile')!;
      return {
        workload: w.name,
        'floor / PostGraphile': times(floorVsPgl),
        'floor-http / PostGraphile': times(ratio(w, 'floor-http', 'postgraphile')),
        'floor / floor-http': times(ratio(w, 'floor', 'floor-http')),
        'floor / bare': times(ratio(w, 'floor', 'bare')),
        'CPU/req PostGraphile ÷ floor': times(agg(w, 'postgraphile').cpuMs / agg(w, 'floor').cpuMs),
        'floor ≥ 1.2× PostGraphile': w.targeted ? (floorVsPgl >= 1.2 ? 'yes' : 'NO') : '-',
      };
    });
    printTable('The stack floors (answers from memory, no database, no auth)', floors);
  }
}
