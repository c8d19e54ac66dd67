// One process per embedded data directory. PGlite gives no protection of its own: two processes
// that open the same directory each run a private copy of PostgreSQL over the same files, and the
// one that writes last wins, silently (an import through the CLI "succeeded" while a server held
// the directory, and its rows were gone after the server restarted).
//
// The opener creates `<dataDir>/service.lock` exclusively (O_EXCL), holding its pid, host and
// command. A second opener that finds it refuses, naming the holder, unless the holder is dead
// (same host, no such pid): a lock left by a killed process is taken over. The lock goes when the
// database closes, or when the process exits.
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'service.lock';

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: Holder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since}). ` +
        'PGlite allows one process per data directory: stop that process first, or run the CLI against the running server with --server <url>.',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the lock on dataDir, or throws DataDirLockedError naming the live holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), command: commandLine(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      // Unreadable (a crash mid-write) or dead: take it over, once; a live one, or a second
      // loss of the race to another taker, is a refusal.
      if (holder && (isAlive(holder) || attempt > 0)) throw new DataDirLockedError(dataDir, holder);
      if (attempt > 0) throw new DataDirLockedError(dataDir, { pid: 0, host: '?', command: 'unknown', since: '?' });
      unlinkIfOurs(file, holder);
    }
  }
  const onExit = () => unlinkIfOurs(file, me);
  process.once('exit', onExit);
  return {
    release: () => {
      process.off('exit', onExit);
      unlinkIfOurs(file, me);
    },
  };
}

function readHolder(file: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, command: String(parsed.command ?? ''), since: String(parsed.since ?? '') };
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  // Another host (a shared volume): its processes cannot be checked from here, so assume alive.
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock file if it still names this holder (or is unreadable, for a takeover). */
function unlinkIfOurs(file: string, holder: Holder | undefined): void {
  if (!existsSync(file)) return;
  const current = readHolder(file);
  if (current && holder && (current.pid !== holder.pid || current.host !== holder.host || current.since !== holder.since)) return;
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function commandLine(): string {
  return process.argv
    .slice(1)
    .map((a) => a.replace(/^.*\/(dist|src|bench)\//, '$1/'))
    .join(' ')
    .slice(0, 200);
}
