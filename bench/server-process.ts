// How the benchmarks start the server: the way `npm start` does, with the Node flags of its
// start script (the heap limit, see README "Memory"), so the figures are the ones users get.
// BENCH_SERVER_NODE_ARGS adds flags for one run, e.g. "--cpu-prof" to profile the server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';

/** Arguments for process.execPath: the start script's flags, extra flags, then the entry point. */
export function serverArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') throw new Error(`the start script no longer runs node directly: ${pkg.scripts.start}`);
  const flags = words.slice(1).filter((w) => w.startsWith('--'));
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  return [...flags, ...extra, join(projectRoot(), 'dist/src/main.js')];
}
