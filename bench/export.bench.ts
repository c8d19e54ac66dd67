// `npm run bench -- export [--rows 1000000] [--pglite-rows 100000]
//    [--pg postgres://postgres@127.0.0.1:5432/postgres] [--skip-pg] [--skip-pglite]`
//
// exportUsers end to end: ask for a link over GraphQL, download it over HTTP (as a browser or
// curl would), count the rows. The server runs as its own process so its RSS is its own;
// targets: >= 100,000 rows/s and RSS growth <= 50 MB, per format. --rows counts exported (live)
// users: the seed soft-deletes ~3% of what it loads, so it loads rows / 0.97.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { SeedRepository } from '../src/users/seed/seed.repository.js';
import bcrypt from 'bcryptjs';
import { Prisma } from '../src/generated/prisma/client.js';
import { EXPORT_COLUMNS, USER_FIELDS } from '../src/users/export/export.model.js';
import { readExpression, statusAt } from '../src/users/user.columns.js';
import { ADMIN, createDatabase, sampled, withServer, type Server } from './import.bench.js';
import { printTable } from './table.js';

const EXPORT = 'mutation($format: ExportFormat!) { exportUsers(format: $format) { url } }';
const TARGET_RATE = 100_000;
const TARGET_RSS = 50;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      rows: { type: 'string', default: '1000000' },
      'pglite-rows': { type: 'string', default: '100000' },
      'skip-pg': { type: 'boolean', default: false },
      'skip-pglite': { type: 'boolean', default: false },
    },
  });
  const rows: Record<string, string | number>[] = [];
  if (!values['skip-pg']) {
    const { url, drop } = await createDatabase(values.pg);
    try {
      await seed({ url, dataDir: 'unused' }, withDeleted(Number(values.rows)));
      await withServer({ DATABASE_URL: url }, async (server) => {
        rows.push(...(await measureAll(server, 'PostgreSQL', url)));
      });
    } finally {
      await drop();
    }
  }
  if (!values['skip-pglite']) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
    try {
      await seed({ dataDir: dir }, withDeleted(Number(values['pglite-rows'])));
      await withServer({ DATA_DIR: dir }, async (server) => {
        rows.push(...(await measureAll(server, 'PGlite')));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable('exportUsers: signed link downloaded over HTTP (server in its own process)', rows);
}

/** Users to load for ~n live ones (the seed soft-deletes ~3%). */
function withDeleted(n: number): number {
  return Math.round(n / 0.97);
}

/** Loads `n` users before the server starts (PGlite takes one process at a time). */
async function seed(target: { url?: string; dataDir: string }, n: number): Promise<void> {
  const db = await openDatabase(target);
  try {
    await applyMigrations(db);
    const repo = new SeedRepository(db.prisma);
    await repo.seed('bench', n, 50_000, null, () => undefined);
    await repo.analyze();
    // The server only creates its first admin on an empty table: this one logs the bench in.
    await db.prisma.user.create({ data: { email: ADMIN.email, passwordHash: bcrypt.hashSync(ADMIN.password, 4), role: 'ADMIN', name: 'Bench admin' } });
  } finally {
    await db.close();
  }
}

async function measureAll(server: Server, database: string, copyUrl?: string): Promise<Record<string, string | number>[]> {
  const out = [];
  // The seed soft-deletes some users; an export (like the listing) excludes them by default.
  const expected = await liveUsers(server);
  await download(server, 'NDJSON'); // warm-up: JIT, pool, first plan
  for (const format of ['CSV', 'NDJSON', 'JSON'] as const) {
    // The median of three downloads (100k rows take ~1 s: one run is at the mercy of noise);
    // memory is the highest peak of the three over the baseline before the first.
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sampled(server.pid, () => download(server, format)));
    const base = runs[0]!.base;
    const peak = Math.max(...runs.map((r) => r.peak));
    const { result: lines, seconds, cpu } = [...runs].sort((a, b) => a.seconds - b.seconds)[1]!;
    // CSV has a header line; JSON an opening and a closing bracket line.
    const got = format === 'CSV' ? lines - 1 : format === 'JSON' ? lines - 2 : lines;
    const rate = got / seconds;
    // The ceiling, in the same run: psql's COPY of the same columns of the same rows, same order.
    const copy = copyUrl ? await copyCeiling(copyUrl, format) : undefined;
    out.push({
      database,
      format,
      rows: got.toLocaleString('en'),
      'matches totalCount': got === expected ? 'yes' : `NO (${expected})`,
      'seconds (median of 3)': seconds.toFixed(2),
      'rows/s': Math.round(rate).toLocaleString('en'),
      // The server process's own CPU for that download (the database renders in its backends).
      'server CPU µs/row': ((cpu / got) * 1e6).toFixed(2),
      target: `>= ${TARGET_RATE.toLocaleString('en')}/s`,
      'COPY rows/s': copy ? Math.round(copy).toLocaleString('en') : '-',
      'ours / COPY': copy ? `${(rate / copy).toFixed(2)}× (target ${format === 'CSV' ? '0.8' : '0.6'}×)` : '-',
      'RSS base MB': base.toFixed(0),
      'RSS peak MB': peak.toFixed(0),
      'RSS growth MB': (peak - base).toFixed(0),
      'RSS target': `<= ${TARGET_RSS} MB`,
      verdict: rate >= TARGET_RATE && peak - base <= TARGET_RSS ? 'ok' : 'MISS',
    });
  }
  return out;
}

async function liveUsers(server: Server): Promise<number> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }),
  });
  const body = (await response.json()) as { data?: { users: { totalCount: number } } };
  return body.data?.users.totalCount ?? -1;
}

/** Asks for a link and downloads it, counting lines as they stream (nothing is kept). */
async function download(server: Server, format: 'CSV' | 'JSON' | 'NDJSON'): Promise<number> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query: EXPORT, variables: { format } }),
  });
  const body = (await response.json()) as { data?: { exportUsers: { url: string } }; errors?: unknown };
  if (!body.data) throw new Error(`exportUsers failed: ${JSON.stringify(body.errors)}`);
  const file = await fetch(body.data.exportUsers.url);
  if (!file.ok || !file.body) throw new Error(`download failed: ${file.status}`);
  let lines = 0;
  for await (const chunk of file.body) {
    const bytes = chunk as Uint8Array;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines += 1;
  }
  return lines;
}

/**
 * psql `\copy (SELECT <the export's 19 columns> of live users ORDER BY created_at, id) TO STDOUT`,
 * as CSV, or as row_to_json lines for NDJSON and JSON; its stdout is counted as a download is.
 * Median of three, in rows per second.
 */
async function copyCeiling(url: string, format: 'CSV' | 'JSON' | 'NDJSON'): Promise<number> {
  const columns = USER_FIELDS.map((field) =>
    field === 'STATUS' ? `${statusAt(Prisma.raw('now()')).sql} AS status` : `${readExpression(EXPORT_COLUMNS[field])} AS "${EXPORT_COLUMNS[field]}"`,
  ).join(', ');
  const select = `SELECT ${columns} FROM users u WHERE u.deleted_at IS NULL ORDER BY u.created_at, u.id`.replace(/\s+/g, ' ');
  const command = format === 'CSV' ? `\\copy (${select}) TO STDOUT WITH (FORMAT csv, HEADER)` : `\\copy (SELECT row_to_json(t) FROM (${select}) t) TO STDOUT`;
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    for await (const chunk of child.stdout) {
      const bytes = chunk as Buffer;
      for (let j = bytes.indexOf(10); j !== -1; j = bytes.indexOf(10, j + 1)) lines += 1;
    }
    const [code] = (await once(child, 'close')) as [number];
    if (code !== 0) throw new Error(`psql \\copy exited with ${code}`);
    rates.push((format === 'CSV' ? lines - 1 : lines) / ((performance.now() - started) / 1000));
  }
  return rates.sort((a, b) => a - b)[1]!;
}
