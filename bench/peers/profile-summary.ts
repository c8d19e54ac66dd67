// `node dist/bench/peers/profile-summary.js <file.cpuprofile> [--top 25]`: where a server's busy
// time went, from a V8 CPU profile (BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR").
// Self time is grouped by package (node_modules/<name>), our own files (src/...), Node's
// internals and V8's pseudo-nodes (GC, program); idle time is left out of the shares.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printTable } from '../table.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(profile: Profile, top: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const group = groupOf(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const share = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s\n`);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  printTable('Self time by package / area (share of busy time)', sorted(groups).map(([name, us]) => ({ area: name, share: share(us) })));
  printTable('Top functions by self time', sorted(functions).map(([name, us]) => ({ function: name, share: share(us) })));
}

function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ours = /\/dist\/(src\/[^/]+(?:\/[^/]+)?)/.exec(url);
  return ours ? ours[1]!.replace(/\.js$/, '') : shortUrl(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
if (positionals.length !== 1) {
  process.stderr.write('usage: node dist/bench/peers/profile-summary.js <file.cpuprofile> [--top 25]\n');
  process.exit(2);
}
summarize(JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile, Number(values.top));
