// `npm run bench -- <name> [options]`: runs bench/<name>.bench.ts and prints a table.
// Benchmarks are not tests: they report speed on this machine; CI checks correctness.
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .map((f) => f.replace(/\.bench\.js$/, ''));

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [options]\n`);
  process.exit(2);
}
const module = (await import(`./${name}.bench.js`)) as { run(args: string[]): Promise<void> };
await module.run(args);
process.exit(0);
