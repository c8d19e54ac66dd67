// `npm run bench -- limits [--rounds 30]`
//
// How fast hostile operations are refused, over HTTP through the real server (embedded
// database): the 13 KB query of 200 aliased `users(first: 100)`, `createdBy` nested 40
// levels, 20,000 aliases, and a costly operation within the alias limit. Target: under 50 ms
// each; a query the gate lets through (one page of 20 users) is the comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServerProcess } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

const CASES: Record<string, string> = {
  '200 aliased users(first: 100)': `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: users(first: 100) { edges { node { id email name createdBy { email } } } }`).join(' ')} }`,
  'createdBy nested 40 levels': `{ me { ${'createdBy { '.repeat(38)}id${' }'.repeat(38)} } }`,
  '20,000 aliases': `{ ${Array.from({ length: 20_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
  '14 pages of 100 with createdBy (cost)': `{ ${Array.from({ length: 14 }, (_, i) => `a${i}: users(first: 100) { edges { node { id email name firstName lastName role isActive createdAt createdBy { id email name role } } } }`).join(' ')} }`,
  'allowed: users(first: 20)': '{ users(first: 20) { edges { node { id email } } } }',
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '30' } } });
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), 'bench-limits-'));
  const server = await startServerProcess({ DATA_DIR: dir });
  try {
    const token = await server.login();
    const rows: Record<string, string | number>[] = [];
    for (const [name, query] of Object.entries(CASES)) {
      const times: number[] = [];
      let answer = '';
      for (let i = 0; i < rounds + 2; i++) {
        const started = performance.now();
        const response = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        });
        const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
        if (i >= 2) times.push(performance.now() - started); // two warm-ups
        answer = body.errors?.[0]?.extensions.code ?? `${response.status} data`;
      }
      times.sort((a, b) => a - b);
      rows.push({ operation: name, bytes: query.length, answer, 'p50 ms': ms(percentile(times, 50)), 'p95 ms': ms(percentile(times, 95)) });
    }
    printTable(`Operation limits: refusal time over HTTP, ${rounds} runs each`, rows);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
