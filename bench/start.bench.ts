// `npm run bench -- start [--runs 5] [--pg postgres://…/postgres] [--skip-pg]`: how long
// `npm start` takes to answer /readyz with 200, measured from the spawn of `npm start`:
//   - on an existing embedded data dir (migrated, with its admin: every start after the first);
//   - on a fresh one (initdb, migrations, first admin);
//   - on PostgreSQL (an already migrated database);
//   - against the ceiling: a process that only opens the same PGlite dir and answers SELECT 1.
// Goals (issue 13): existing embedded dir ≤ 1.5× the ceiling; PostgreSQL ≤ 1 s.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../devkit/scratch-database.js';
import { freePort } from '../devkit/free-port.js';
import { projectRoot } from '../src/paths.js';
import { ms, printTable } from './table.js';

const BASE_ENV = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', BCRYPT_COST: '4', SHUTDOWN_DELAY: '0s', ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password-1' };

/** Milliseconds from spawning `npm start` to the first 200 from /readyz; then stops it. */
async function npmStartToReady(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  // Its own process group, so the stop reaches npm's child (the server) too.
  const child = spawn('npm', ['start', '--silent'], { cwd: projectRoot(), env: { ...BASE_ENV, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = once(child, 'exit');
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      if (performance.now() - started > 180_000) throw new Error('not ready within 180 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** Milliseconds from spawning a process that only opens the PGlite dir to its "ready". */
async function pgliteOpenAlone(dir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(projectRoot(), 'dist/bench/pglite-open.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes('ready')) break;
  }
  const elapsed = performance.now() - started;
  if (child.exitCode === null) await once(child, 'exit');
  if (!out.includes('ready')) throw new Error('the PGlite open process did not get ready');
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '5' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      'skip-pg': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const work = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const rows: Record<string, string | number>[] = [];
  const row = (name: string, times: number[], ceiling?: number) =>
    rows.push({ case: name, runs: times.length, 'median ms': ms(median(times)), 'min ms': ms(Math.min(...times)), 'max ms': ms(Math.max(...times)), 'vs ceiling': ceiling ? `${(median(times) / ceiling).toFixed(2)}×` : '' });
  try {
    const existing = join(work, 'existing');
    const fresh: number[] = [];
    for (let i = 0; i < runs; i++) fresh.push(await npmStartToReady({ DATA_DIR: i === 0 ? existing : join(work, `fresh-${i}`) }));
    const ceiling: number[] = [];
    const onExisting: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < runs; i++) {
      ceiling.push(await pgliteOpenAlone(existing));
      onExisting.push(await npmStartToReady({ DATA_DIR: existing }));
    }
    row('PGlite open alone (ceiling)', ceiling);
    row('npm start, existing embedded dir', onExisting, median(ceiling));
    row('npm start, fresh embedded dir', fresh, median(ceiling));
    if (!values['skip-pg']) {
      const database = await createScratchDatabase(values.pg, 'bench_start');
      try {
        const env = { DATABASE_URL: database.url, JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123' };
        await npmStartToReady(env); // migrates and creates the admin: not what is measured
        const onPostgres: number[] = [];
        for (let i = 0; i < runs; i++) onPostgres.push(await npmStartToReady(env));
        row('npm start, PostgreSQL (migrated)', onPostgres);
      } finally {
        await database.drop();
      }
    }
    printTable('npm start → /readyz 200 (from the spawn of npm start)', rows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
