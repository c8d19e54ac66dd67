// `npm run bench -- import [--rows 1000000] [--pglite-rows 100000] [--plain-rows N] [--cost 10]
//    [--pg postgres://postgres@127.0.0.1:5432/postgres] [--skip-pg] [--skip-pglite]`
//
// CSV import through the real GraphQL multipart upload into a server running as its own
// process (so its RSS is the server's alone), on PostgreSQL (a database created for the run and
// dropped after) and on PGlite (a temporary directory). Cases:
//   - passwordHash rows: throughput and server RSS growth (targets: >= 50,000 rows/s, <= 200 MB);
//   - plaintext passwords: throughput against bcryptjs's single-core rate x hashing workers
//     (target: within 90%).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import bcrypt from 'bcryptjs';
import { createScratchDatabase, type ScratchDatabase } from '../devkit/scratch-database.js';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { defaultHashWorkers } from '../src/users/import/password.pool.js';
import { BENCH_ADMIN, startServerProcess } from './server-process.js';
import { printTable } from './table.js';

export const ADMIN = BENCH_ADMIN;
const IMPORT = `mutation($file: Upload!, $options: ImportUsersOptions) {
  importUsers(file: $file, options: $options) { id status totalRows created failed failure { code message } } }`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      rows: { type: 'string', default: '1000000' },
      'pglite-rows': { type: 'string', default: '100000' },
      'plain-rows': { type: 'string' },
      cost: { type: 'string', default: '10' },
      'skip-pg': { type: 'boolean', default: false },
      'skip-pglite': { type: 'boolean', default: false },
    },
  });
  const cost = Number(values.cost);
  const workers = defaultHashWorkers();
  const singleCore = bcryptRate(cost);
  // Enough plaintext rows for ~20 s of hashing at the expected rate.
  const plainRows = Number(values['plain-rows'] ?? Math.max(200, Math.round(singleCore * workers * 20)));
  process.stdout.write(`bcryptjs cost ${cost}: ${singleCore.toFixed(1)} hashes/s on one core; ${workers} hashing worker(s)\n`);

  const work = mkdtempSync(join(tmpdir(), 'bench-import-'));
  const rows: Record<string, string | number>[] = [];
  try {
    const hashed = await writeCsv(join(work, 'hashed.csv'), Number(values.rows), 'hash');
    const plain = await writeCsv(join(work, 'plain.csv'), plainRows, 'plain');
    const smallHashed = await writeCsv(join(work, 'hashed-small.csv'), Number(values['pglite-rows']), 'hash');
    const targets = { rate: 50_000, rss: 200 };
    if (!values['skip-pg']) {
      const { url, drop } = await createDatabase(values.pg);
      try {
        await withServer({ DATABASE_URL: url, BCRYPT_COST: String(cost) }, async (server) => {
          const ours = await measure(server, 'PostgreSQL', 'passwordHash', hashed, targets);
          // The like-for-like limit, in the same run: two COPY sessions writing 5,000-row
          // transactions of the same rows into the same (empty, indexed) table.
          const copy = await copyCeiling(values.pg, hashed, work);
          ours['COPY rows/s'] = Math.round(copy).toLocaleString('en');
          ours['ours / COPY'] = `${(Number(String(ours['rows/s']).replace(/,/g, '')) / copy).toFixed(2)}× (target 0.8×)`;
          rows.push(ours);
          rows.push(await measurePlain(server, 'PostgreSQL', plain, singleCore * workers));
        });
      } finally {
        await drop();
      }
    }
    if (!values['skip-pglite']) {
      const dir = join(work, 'pglite');
      await withServer({ DATA_DIR: dir, BCRYPT_COST: String(cost) }, async (server) => {
        const ours = await measure(server, 'PGlite', 'passwordHash', smallHashed, targets);
        rows.push(ours);
        // The limit on PGlite, in the same run: one COPY of the same rows from a blob into a fresh,
        // migrated, indexed table (PGlite has one connection).
        const copy = await pgliteCopyCeiling(smallHashed, work);
        ours['COPY rows/s'] = Math.round(copy).toLocaleString('en');
        ours['ours / COPY'] = `${(Number(String(ours['rows/s']).replace(/,/g, '')) / copy).toFixed(2)}× (keep ≥ 0.7×)`;
        rows.push(await measurePlain(server, 'PGlite', plain, singleCore * workers));
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTable('CSV import through the GraphQL multipart upload (server in its own process)', rows);
}

interface CsvFile {
  path: string;
  rows: number;
  bytes: number;
}

/** Writes a CSV of `n` users; `hash` rows carry a bcrypt passwordHash, `plain` a password. */
async function writeCsv(path: string, n: number, kind: 'hash' | 'plain'): Promise<CsvFile> {
  const tag = randomBytes(4).toString('hex');
  const hash = bcrypt.hashSync('bench-password', 10);
  const out = createWriteStream(path);
  out.write(kind === 'hash' ? 'email,firstName,lastName,role,isEmailVerified,passwordHash\n' : 'email,firstName,lastName,password\n');
  let buffer = '';
  for (let i = 0; i < n; i++) {
    buffer +=
      kind === 'hash'
        ? `user${i}.${tag}@example.com,First${i % 997},Last${i % 991},${i % 50 === 0 ? 'VIEWER' : 'USER'},${i % 2 === 0},${hash}\n`
        : `plain${i}.${tag}@example.com,First${i},Last${i},password-${i}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return { path, rows: n, bytes: statSync(path).size };
}

interface Server {
  url: string;
  pid: number;
  token: string;
}

async function withServer(env: Record<string, string>, work: (server: Server) => Promise<void>): Promise<void> {
  const server = await startServerProcess({
    LOG_LEVEL: 'info',
    JWT_SECRET: randomBytes(32).toString('hex'),
    UPLOAD_MAX_BYTES: String(1024 * 1024 * 1024),
    ...(process.env.IMPORT_WRITERS ? { IMPORT_WRITERS: process.env.IMPORT_WRITERS } : {}),
    ...env,
  });
  try {
    await work({ url: server.url, pid: server.pid, token: await server.login() });
  } finally {
    await server.stop();
  }
}

interface ImportResult {
  status: string;
  totalRows: number;
  created: number;
  failed: number;
  failure: { code: string; message: string } | null;
}

export async function upload(server: Server, file: CsvFile, options: Record<string, unknown> = {}): Promise<ImportResult> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: IMPORT, variables: { file: null, options } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', await openAsBlob(file.path), 'users.csv');
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  const body = (await response.json()) as { data?: { importUsers: ImportResult }; errors?: unknown };
  if (!body.data) throw new Error(`import failed: ${JSON.stringify(body.errors)}`);
  return body.data.importUsers;
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * CPU seconds (user + system) a process has used so far (Linux, /proc/<pid>/stat). On a shared
 * machine wall-clock rates follow the load; the server's CPU per row does not, much.
 */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** Runs `work` while sampling the server's RSS; returns its result, the baseline and the peak, and the server's CPU seconds. */
export async function sampled<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; seconds: number; base: number; peak: number; cpu: number }> {
  const base = rssMb(pid);
  const cpuBefore = cpuSeconds(pid);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const started = performance.now();
  try {
    const result = await work();
    return { result, seconds: (performance.now() - started) / 1000, base, peak: Math.max(peak, rssMb(pid)), cpu: cpuSeconds(pid) - cpuBefore };
  } finally {
    clearInterval(timer);
  }
}

async function measure(server: Server, database: string, kind: string, file: CsvFile, targets: { rate: number; rss: number }): Promise<Record<string, string | number>> {
  // Warm-up: first worker start, JIT, connection pool, so the baseline RSS is the server's steady state.
  const warm = await writeCsv(`${file.path}.warm.csv`, 2_000, 'hash');
  await upload(server, warm);
  const { result, seconds, base, peak, cpu } = await sampled(server.pid, () => upload(server, file));
  if (result.status !== 'SUCCEEDED' || result.created !== file.rows) throw new Error(`unexpected import result ${JSON.stringify(result)}`);
  const rate = file.rows / seconds;
  return {
    database,
    case: kind,
    rows: file.rows.toLocaleString('en'),
    'file MB': (file.bytes / 1e6).toFixed(1),
    seconds: seconds.toFixed(1),
    'rows/s': Math.round(rate).toLocaleString('en'),
    // The server process's own CPU (Node: parsing, validation, the driver), not the database's.
    'server CPU µs/row': ((cpu / file.rows) * 1e6).toFixed(1),
    target: `>= ${targets.rate.toLocaleString('en')}/s`,
    'RSS base MB': base.toFixed(0),
    'RSS peak MB': peak.toFixed(0),
    'RSS growth MB': (peak - base).toFixed(0),
    'RSS target': `<= ${targets.rss} MB`,
    verdict: rate >= targets.rate && peak - base <= targets.rss ? 'ok' : 'MISS',
  };
}

async function measurePlain(server: Server, database: string, file: CsvFile, expected: number): Promise<Record<string, string | number>> {
  const { result, seconds, base, peak } = await sampled(server.pid, () => upload(server, file));
  if (result.status !== 'SUCCEEDED' || result.created !== file.rows) throw new Error(`unexpected import result ${JSON.stringify(result)}`);
  const rate = file.rows / seconds;
  return {
    database,
    case: 'plaintext password',
    rows: file.rows.toLocaleString('en'),
    'file MB': (file.bytes / 1e6).toFixed(1),
    seconds: seconds.toFixed(1),
    'rows/s': rate.toFixed(1),
    target: `>= 90% of ${expected.toFixed(1)}/s`,
    'RSS base MB': base.toFixed(0),
    'RSS peak MB': peak.toFixed(0),
    'RSS growth MB': (peak - base).toFixed(0),
    'RSS target': '-',
    verdict: `${((rate / expected) * 100).toFixed(0)}% ${rate >= expected * 0.9 ? 'ok' : 'MISS'}`,
  };
}

/** bcryptjs hashes per second on one core at `cost` (measured here, for ~2 s). */
function bcryptRate(cost: number): number {
  bcrypt.hashSync('warm-up', cost);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 2_000) {
    bcrypt.hashSync(`password-${n}`, cost);
    n += 1;
  }
  return n / ((performance.now() - started) / 1000);
}

/**
 * Rows per second of two psql sessions, each COPYing half of `file` into a fresh migrated
 * database in 5,000-row transactions (ids made here, as the import makes them in the database).
 * The session scripts are written before the clock starts.
 */
async function copyCeiling(serverUrl: string, file: CsvFile, work: string): Promise<number> {
  const { url, drop } = await createDatabase(serverUrl);
  try {
    const db = await openDatabase({ url, dataDir: 'unused' });
    await applyMigrations(db);
    await db.close();
    const header = 'id,email,first_name,last_name,role,is_email_verified,password_hash';
    const scripts = [0, 1].map((i) => join(work, `copy-${i}.sql`));
    const outs = scripts.map((path) => createWriteStream(path));
    const lines = createInterface({ input: createReadStream(file.path) });
    let n = -1;
    const chunk = 5_000;
    for await (const line of lines) {
      n += 1;
      if (n === 0) continue; // the CSV header
      const row = n - 1;
      const out = outs[Math.floor(row / chunk) % 2]!;
      if (row % chunk === 0) out.write(`BEGIN;\nCOPY users (${header}) FROM STDIN WITH (FORMAT csv);\n`);
      out.write(`${randomUUID()},${line}\n`);
      if (row % chunk === chunk - 1 || row === file.rows - 1) out.write('\\.\nCOMMIT;\n');
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    await Promise.all(outs.map(async (out) => {
      out.end();
      await once(out, 'finish');
    }));
    const started = performance.now();
    await Promise.all(
      scripts.map(async (script) => {
        const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script], { stdio: ['ignore', 'ignore', 'inherit'] });
        const [code] = (await once(child, 'close')) as [number];
        if (code !== 0) throw new Error(`psql COPY session exited with ${code}`);
      }),
    );
    return file.rows / ((performance.now() - started) / 1000);
  } finally {
    await drop();
  }
}

/** Rows per second of `COPY users FROM '/dev/blob'` (the file, with ids) into a fresh migrated PGlite. */
async function pgliteCopyCeiling(file: CsvFile, work: string): Promise<number> {
  const dir = join(work, 'pglite-copy');
  const db = await openDatabase({ dataDir: dir });
  await applyMigrations(db);
  await db.close();
  const withIds = join(work, 'with-ids.csv');
  const out = createWriteStream(withIds);
  let first = true;
  for await (const line of createInterface({ input: createReadStream(file.path) })) {
    if (!first) out.write(`${randomUUID()},${line}\n`);
    first = false;
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const pglite = await PGlite.create(dir, { extensions: { pg_trgm } });
  try {
    const blob = await openAsBlob(withIds);
    const started = performance.now();
    await pglite.query(`COPY users (id, email, first_name, last_name, role, is_email_verified, password_hash) FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob });
    return file.rows / ((performance.now() - started) / 1000);
  } finally {
    await pglite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh database on the given server, migrated by the app at start, dropped afterwards. */
export function createDatabase(serverUrl: string): Promise<ScratchDatabase> {
  return createScratchDatabase(serverUrl, 'bench_import');
}

export { withServer, writeCsv, type CsvFile, type Server };
