// `npm run bench -- start [--runs 5] [--pg postgres://…/postgres] [--skip-pg]`: how long
// `npm start` takes to answer /readyz with 200, measured from the spawn of `npm start`:
//   - on an existing embedded data dir (migrated, with its admin: every start after the first);
//   - on a fresh one (initdb, migrations, first admin);
//   - on PostgreSQL (an already migrated database);
//   - against the ceiling: a process that only opens the same PGlite dir and answers SELECT 1;
//   - beside npm's own cost (`npm run` of a script that does nothing), and the floor of `npm start`
//     on the embedded database: that cost plus the ceiling.
// Goals (issue 13): existing embedded dir ≤ 1.5× the ceiling; PostgreSQL ≤ 1 s.
// Beside the wall clock, each case reports the CPU time its processes had used when it was ready
// (npm, the shell and Node for `npm start`, Linux only): on a machine shared with other work the
// wall clock mostly measures the others, while CPU time is what a quiet machine turns into wall time.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../devkit/scratch-database.js';
import { freePort } from '../devkit/free-port.js';
import { projectRoot } from '../src/paths.js';
import { ms, printTable } from './table.js';

const BASE_ENV = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', BCRYPT_COST: '4', SHUTDOWN_DELAY: '0s', ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password-1' };

interface Sample {
  ms: number;
  /** CPU milliseconds (user + system) of the case's processes when it was ready; NaN if unknown. */
  cpuMs: number;
}

/**
 * CPU milliseconds used so far by the processes of a process group, including the children they
 * already waited for (npm's wait for the shell, say), read from /proc. NaN off Linux.
 */
function groupCpuMs(pgid: number): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // Fields after the command name (which may hold spaces): state ppid pgrp … utime stime cutime cstime.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
  } catch {
    return NaN;
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** From spawning `npm start` to the first 200 from /readyz; then stops it. */
async function npmStartToReady(env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  // Its own process group, so the stop reaches npm's child (the server) too.
  const child = spawn('npm', ['start', '--silent'], { cwd: projectRoot(), env: { ...BASE_ENV, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = once(child, 'exit');
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) return { ms: performance.now() - started, cpuMs: groupCpuMs(child.pid!) };
      if (performance.now() - started > 180_000) throw new Error('not ready within 180 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** From spawning a process that only opens the PGlite dir to its "ready <CPU ms>". */
async function pgliteOpenAlone(dir: string): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(projectRoot(), 'dist/bench/pglite-open.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes('ready')) break;
  }
  const elapsed = performance.now() - started;
  if (child.exitCode === null) await once(child, 'exit');
  const ready = /ready (\d+)/.exec(out);
  if (!ready) throw new Error('the PGlite open process did not get ready');
  return { ms: elapsed, cpuMs: Number(ready[1]) };
}

/**
 * What `npm start` costs before our first line runs: npm itself, running a script that does
 * nothing (`npm run env`, whose output is dropped), from spawn to exit. CPU from the shell's
 * `times` (its children's user + system time), since the processes are gone when it is read.
 */
async function npmAlone(): Promise<Sample> {
  const started = performance.now();
  const child = spawn('sh', ['-c', 'npm run --silent env >/dev/null; times'], { cwd: projectRoot(), env: BASE_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) out += String(chunk);
  const elapsed = performance.now() - started;
  if (child.exitCode === null) await once(child, 'exit');
  // `times` prints the shell's own times, then its children's: "0m0.310s 0m0.102s".
  const children = out.trim().split('\n').at(-1)?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
  const cpuMs = children ? (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000 : NaN;
  return { ms: elapsed, cpuMs };
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
  const row = (name: string, samples: Sample[], ceiling?: Sample[], floor?: Sample[]) => {
    const times = samples.map((s) => s.ms);
    const cpu = median(samples.map((s) => s.cpuMs));
    rows.push({
      case: name,
      runs: times.length,
      'median ms': ms(median(times)),
      'min ms': ms(Math.min(...times)),
      'max ms': ms(Math.max(...times)),
      'vs ceiling': ceiling ? `${(median(times) / median(ceiling.map((s) => s.ms))).toFixed(2)}×` : '',
      'CPU ms': Number.isNaN(cpu) ? '' : ms(cpu),
      'CPU vs ceiling': ceiling && !Number.isNaN(cpu) ? `${(cpu / median(ceiling.map((s) => s.cpuMs))).toFixed(2)}×` : '',
      'vs npm + open': floor ? `${(median(times) / median(floor.map((s) => s.ms))).toFixed(2)}×` : '',
    });
  };
  try {
    const existing = join(work, 'existing');
    const fresh: Sample[] = [];
    for (let i = 0; i < runs; i++) fresh.push(await npmStartToReady({ DATA_DIR: i === 0 ? existing : join(work, `fresh-${i}`) }));
    const ceiling: Sample[] = [];
    const npm: Sample[] = [];
    const onExisting: Sample[] = [];
    // Interleaved, so all see the same machine load.
    for (let i = 0; i < runs; i++) {
      ceiling.push(await pgliteOpenAlone(existing));
      npm.push(await npmAlone());
      onExisting.push(await npmStartToReady({ DATA_DIR: existing }));
    }
    // The floor of `npm start` on the embedded database: npm's own cost plus the open, per run.
    const floor = ceiling.map((open, i) => ({ ms: open.ms + npm[i]!.ms, cpuMs: open.cpuMs + npm[i]!.cpuMs }));
    row('PGlite open alone (ceiling)', ceiling);
    row('npm alone (npm run of a no-op script)', npm, ceiling);
    row('npm alone + PGlite open alone (floor)', floor, ceiling);
    row('npm start, existing embedded dir', onExisting, ceiling, floor);
    row('npm start, fresh embedded dir', fresh, ceiling);
    if (!values['skip-pg']) {
      const database = await createScratchDatabase(values.pg, 'bench_start');
      try {
        const env = { DATABASE_URL: database.url, JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123' };
        await npmStartToReady(env); // migrates and creates the admin: not what is measured
        const onPostgres: Sample[] = [];
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
