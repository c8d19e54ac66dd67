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
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
 * Minified in whitespace and syntax only (a 30% smaller file to read and parse, ~75 ms less CPU
 * per start); not in identifiers, since TypeGraphQL and the error classes read constructor names.
 * Bundled from tsc's output, not from the TypeScript, because esbuild does not emit the decorator
 * metadata TypeGraphQL reads. Left outside the bundle: what finds its own files next to its
 * module (PGlite's wasm and data, Prisma's query compiler runtime and the migration engine), what
 * loads only with tracing (src/main.ts then runs the unbundled dist/src/main.js, which
 * OpenTelemetry can instrument) and type-graphql's optional class-validator, which is not installed.
 *
 * Tried and dropped (issue 13): a CommonJS bundle started through V8's code cache (vm.Script
 * cachedData; Node 20 has no compile cache for ES modules). The cache was accepted, yet the start
 * used more main-thread CPU with it than without (2.72 s against 2.37 s, same machine, same hour):
 * deserializing everything the first start had compiled cost more than compiling lazily what a
 * start needs.
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
    minifyWhitespace: true,
    minifySyntax: true,
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
    plugins: [queryCompilerFromFile()],
    // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  });
}

/**
 * Prisma's generated client loads its query compiler from a module holding the WebAssembly as a
 * 4.5 MB base64 string, then compiles it synchronously: parsing that module alone cost ~150 ms of
 * every start. In the bundle the client instead reads dist/query-compiler.wasm (decoded here,
 * once) and compiles it with WebAssembly.compile, off the main thread. If a Prisma upgrade
 * changes the generated code, the bundle keeps Prisma's own loader and the build says so.
 */
function queryCompilerFromFile() {
  const generated = /generated[\\/]prisma[\\/]internal[\\/]class\.js$/;
  const original = /const \{ wasm \} = await import\("@prisma\/client\/runtime\/(query_compiler_\w+\.postgresql)\.wasm-base64\.mjs"\);\s*return await decodeBase64AsWasm\(wasm\);/;
  return {
    name: 'query-compiler-from-file',
    setup(build) {
      build.onLoad({ filter: generated }, async (args) => {
        const source = readFileSync(args.path, 'utf8');
        const match = original.exec(source);
        if (!match) {
          process.stderr.write('build: the Prisma client no longer loads its query compiler as expected; the bundle keeps its base64 loader\n');
          return { contents: source, loader: 'js' };
        }
        const require = createRequire(join(root, 'package.json'));
        const { wasm } = await import(pathToFileURL(require.resolve(`@prisma/client/runtime/${match[1]}.wasm-base64.mjs`)).href);
        writeFileSync(join(root, 'dist', 'query-compiler.wasm'), Buffer.from(wasm, 'base64'));
        const replacement =
          'const { readFile } = await import("node:fs/promises");\n' +
          '        return await WebAssembly.compile(await readFile(new URL("./query-compiler.wasm", import.meta.url)));';
        return { contents: source.replace(original, replacement), loader: 'js' };
      });
    },
  };
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
