// Compiles src/, bench/ and devkit/ to dist/ (tsc), or with --if-stale only when a source changed
// since the last build. `npm install` runs it (prepare), and every script that runs dist/ calls it
// with --if-stale first: an unchanged tree costs a few milliseconds of stat calls instead of a
// 10-80 s compile, and an edited one is never run stale.
//
// Staleness is a fingerprint of every input's path, size and modification time, written to
// dist/.build-fingerprint after a successful compile. It is taken before tsc starts, so an edit
// made during the compile leaves the build stale rather than marked current.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'dist', '.build-fingerprint');
const INPUT_DIRS = ['src', 'bench', 'devkit'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function fingerprint() {
  const hash = createHash('sha256');
  const files = [...INPUT_DIRS.flatMap((d) => [...walk(join(root, d))]), ...INPUT_FILES.map((f) => join(root, f)).filter(existsSync)];
  for (const file of files.sort()) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const ifStale = process.argv.includes('--if-stale');
const current = fingerprint();
if (ifStale && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === current) process.exit(0);

if (ifStale) process.stderr.write('sources changed since the last build: compiling (tsc)…\n');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(dirname(stampFile), { recursive: true });
writeFileSync(stampFile, current);
