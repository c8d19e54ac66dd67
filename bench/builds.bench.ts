// `npm run bench -- builds --base /path/to/other/checkout [--pg URL] [--users 200000] [--rounds 12] [--only page]`
// This build against another checkout's build (run `npm ci && npm run build` there first), on
// one PostgreSQL database, in one run. Both servers run as `npm start` runs them, each in its own
// process; the workloads alternate between them in rounds (A then B, then B then A), so load from
// anything else on the machine falls on both alike and the ratio is what to read, not the
// milliseconds. Made to check that a refactor did not make the read, export and import paths
// slower (issue 10).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { createScratchDatabase } from '../devkit/scratch-database.js';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { SeedRepository } from '../src/users/seed/seed.repository.js';
import { upload, type CsvFile } from './import.bench.js';
import { BENCH_ADMIN, startServerProcess, type ServerProcess } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

interface Target {
  name: string;
  server: ServerProcess;
  token: string;
}

interface Workload {
  name: string;
  /** Requests per system per round. */
  repeat: number;
  run(target: Target): Promise<void>;
}

const PAGE = 'query($first:Int,$after:String,$filter:UserFilter,$orderBy:[UserOrder!]){users(first:$first,after:$after,filter:$filter,orderBy:$orderBy){edges{cursor node{id email name createdAt}} pageInfo{hasNextPage endCursor}}}';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: 'string' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      users: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '12' },
      /** Only the workloads whose name contains this text. */
      only: { type: 'string', default: '' },
    },
  });
  if (!values.base) throw new Error('--base <checkout with a built dist/> is required');
  const rounds = Number(values.rounds);
  const db = await createScratchDatabase(values.pg, 'bench_builds');
  const dir = mkdtempSync(join(tmpdir(), 'bench-builds-'));
  const servers: ServerProcess[] = [];
  try {
    await seed(db.url, Number(values.users));
    const env = { DATABASE_URL: db.url, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn', UPLOAD_MAX_BYTES: String(256 << 20) };
    const mine = await startServerProcess(env);
    servers.push(mine);
    const other = await startServerProcess(env, { root: resolve(values.base) });
    servers.push(other);
    const targets: Target[] = [
      { name: 'this build', server: mine, token: await mine.login() },
      { name: `base (${values.base})`, server: other, token: await other.login() },
    ];
    const workloads = (await buildWorkloads(targets[0]!, dir)).filter((w) => w.name.includes(values.only));
    const samples = new Map<string, number[]>();
    for (let round = 0; round < rounds + 1; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const w of workloads) {
        for (const t of order) {
          for (let i = 0; i < w.repeat; i++) {
            const started = performance.now();
            await w.run(t);
            const took = performance.now() - started;
            // Round 0 warms both servers (JIT, pools, plans) and is not counted.
            if (round > 0) samples.set(`${w.name}\0${t.name}`, [...(samples.get(`${w.name}\0${t.name}`) ?? []), took]);
          }
        }
      }
    }
    const rows = workloads.map((w) => {
      const a = sorted(samples.get(`${w.name}\0${targets[0]!.name}`)!);
      const b = sorted(samples.get(`${w.name}\0${targets[1]!.name}`)!);
      const [a50, b50, a95, b95] = [percentile(a, 50), percentile(b, 50), percentile(a, 95), percentile(b, 95)];
      return {
        workload: w.name,
        samples: a.length,
        'this p50 ms': ms(a50),
        'base p50 ms': ms(b50),
        'this p95 ms': ms(a95),
        'base p95 ms': ms(b95),
        'p50 this/base': (a50 / b50).toFixed(2),
        'p95 this/base': (a95 / b95).toFixed(2),
      };
    });
    printTable(`this build vs ${values.base}, PostgreSQL, ${Number(values.users).toLocaleString('en')} seeded users, ${rounds} interleaved rounds (ratio < 1: this build is faster)`, rows);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((x, y) => x - y);
}

async function seed(url: string, users: number): Promise<void> {
  const db = await openDatabase({ url, dataDir: 'unused' });
  try {
    await applyMigrations(db);
    const repo = new SeedRepository(db.prisma);
    await repo.seed('bench', users, 50_000, null, () => undefined);
    await repo.analyze();
    await db.prisma.user.create({ data: { email: BENCH_ADMIN.email, passwordHash: bcrypt.hashSync(BENCH_ADMIN.password, 4), role: 'ADMIN', name: 'Bench admin' } });
  } finally {
    await db.close();
  }
}

async function gql<T>(t: Target, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(t.server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`${t.name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function buildWorkloads(probe: Target, dir: string): Promise<Workload[]> {
  // A cursor near the end of the default order, and an id to read, picked once for both systems.
  type Page = { users: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { endCursor: string } } };
  const tail = await gql<{ users: { pageInfo: { startCursor: string } } }>(probe, '{ users(last: 100) { pageInfo { startCursor } } }');
  const first = await gql<Page>(probe, PAGE, { first: 1 });
  const id = first.users.edges[0]!.node.id;
  let importNo = 0;
  return [
    { name: 'first page of 20', repeat: 10, run: (t) => gql(t, PAGE, { first: 20 }) },
    {
      name: 'filtered page sorted by email',
      repeat: 10,
      run: (t) => gql(t, PAGE, { first: 20, filter: { isActive: true, roles: ['USER'] }, orderBy: [{ field: 'EMAIL', direction: 'ASC' }] }),
    },
    { name: 'deep page by cursor', repeat: 10, run: (t) => gql(t, PAGE, { first: 20, after: tail.users.pageInfo.startCursor }) },
    { name: 'search', repeat: 10, run: (t) => gql(t, PAGE, { first: 20, filter: { search: 'bench' } }) },
    { name: 'user(id)', repeat: 10, run: (t) => gql(t, 'query($id:ID!){user(id:$id){id email name role status createdAt}}', { id }) },
    { name: 'totalCount, filtered', repeat: 3, run: (t) => gql(t, '{ users(first: 1, filter: { isActive: true }) { totalCount } }') },
    {
      name: 'export CSV (whole table)',
      repeat: 1,
      run: async (t) => {
        const { exportUsers } = await gql<{ exportUsers: { url: string } }>(t, 'mutation { exportUsers(format: CSV) { url } }');
        const response = await fetch(exportUsers.url);
        if (!response.ok || !response.body) throw new Error(`${t.name}: export ${response.status}`);
        for await (const chunk of response.body) void chunk;
      },
    },
    {
      name: 'import CSV, 2,000 new rows',
      repeat: 1,
      run: async (t) => {
        importNo += 1;
        const path = join(dir, `import-${importNo}.csv`);
        const lines = ['email,firstName,lastName,role'];
        for (let i = 0; i < 2000; i++) lines.push(`b${importNo}.${i}@builds.example,First${i},Last${i},USER`);
        writeFileSync(path, `${lines.join('\n')}\n`);
        const file: CsvFile = { path, rows: 2000, bytes: statSync(path).size };
        const result = await upload({ url: t.server.url, pid: t.server.pid, token: t.token }, file);
        if (result.created !== 2000) throw new Error(`${t.name}: import created ${result.created}: ${JSON.stringify(result.failure)}`);
      },
    },
  ];
}
