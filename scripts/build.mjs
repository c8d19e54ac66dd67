// Builds what runs: compiles src/, bench/ and devkit/ to dist/ (tsc), then bundles the server into
// one file, dist/main.bundle.js (esbuild). With --if-stale it does nothing when no source changed
// since the last build. `npm install` runs it (prepare), every script that runs dist/ calls it with
// --if-stale first, and `npm start` (scripts/start.mjs) calls buildIfStale() in-process: an
// unchanged tree costs a few milliseconds of stat calls instead of a 10-80 s compile, and an
// edited one is never run stale.
//
// Staleness is a fingerprint of every input's path, size and modification time, written to
// dist/.build-fingerprint after a successful build. It is taken before tsc starts, so an edit
// made during the compile leaves the build stale rather than marked current.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'dist', '.build-fingerprint');
const INPUT_DIRS = ['src', 'bench', 'devkit'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];

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

/**
 * The server as one ES module: Node then reads and compiles one file instead of resolving and
 * loading ~1,200 (about half the CPU the modules took before the first line of the server ran).
 * Bundled from tsc's output, not from the TypeScript, because esbuild does not emit the decorator
 * metadata TypeGraphQL reads. Left outside the bundle: what finds its own files next to its
 * module (PGlite's wasm and data, Prisma's query compiler and the migration engine), what loads
 * only with tracing (src/main.ts then runs the unbundled dist/src/main.js, which OpenTelemetry
 * can instrument) and type-graphql's optional class-validator, which is not installed.
 */
async function bundle() {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'dist/src/main.js')],
    outfile: join(root, 'dist/main.bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Stack traces in logs name src/ files and lines: node --enable-source-maps, or read the map.
    sourcemap: 'linked',
    logLevel: 'warning',
    external: [
      '@electric-sql/pglite',
      '@electric-sql/pglite/*',
      '@prisma/client/runtime/query_compiler*',
      '@prisma/schema-engine-wasm',
      '@prisma/schema-engine-wasm/*',
      './telemetry.js',
      'class-validator',
    ],
    // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  });
}

/** True when dist/ was built from the sources as they are now. */
export function isCurrent() {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint();
}

/** Builds (tsc, then the bundle); exits the process with tsc's status when it fails. */
export async function buildAll() {
  const current = fingerprint();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) process.exit(result.status ?? 1);
  await bundle();
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, current);
}

/** What `--if-stale` does: build only when a source changed, saying so on stderr. */
export async function buildIfStale() {
  if (isCurrent()) return;
  process.stderr.write('sources changed since the last build: compiling (tsc, esbuild)…\n');
  await buildAll();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--if-stale')) await buildIfStale();
  else await buildAll();
}
