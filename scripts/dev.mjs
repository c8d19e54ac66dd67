// `npm run dev`: compile once if stale, then keep tsc watching the sources and Node restarting the
// server (node --watch follows every module main.js imports) whenever tsc rewrites one of them.
// Ctrl-C stops both (they share the terminal's process group, so both get the signal).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit', cwd: root });
if (built.status !== 0) process.exit(built.status ?? 1);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const children = [
  spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], { stdio: 'inherit', cwd: root }),
  spawn(process.execPath, ['--watch', '--max-old-space-size=1024', 'dist/src/main.js'], { stdio: 'inherit' }),
];
let exited = 0;
for (const child of children) {
  child.on('exit', () => {
    exited += 1;
    // One gone (a crash of tsc, say): stop the other rather than leave half a dev loop running.
    for (const other of children) if (other.exitCode === null) other.kill('SIGTERM');
    if (exited === children.length) process.exit(0);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => undefined);
