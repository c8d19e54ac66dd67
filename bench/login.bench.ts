// `npm run bench -- login [--rounds 10] [--cost 12] [--pg URL] [--skip-pg] [--skip-pglite]`
//
// A failed login must take the same time whether the email is unknown, the account exists with
// another password, or the account is deactivated: otherwise response times tell an attacker
// which emails have accounts. Every path runs one bcrypt compare (a dummy hash for unknown
// emails). This measures the three side by side, interleaved, at the server's bcrypt cost, and
// prints each median as a ratio of the wrong-password median (1.00 = indistinguishable).
// (This was a wall-clock assertion in the test suite; timings belong in a benchmark.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../devkit/scratch-database.js';
import { startServerProcess } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '10' },
      cost: { type: 'string', default: '12' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      'skip-pg': { type: 'boolean', default: false },
      'skip-pglite': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const rows: Record<string, string | number>[] = [];
  const targets: { label: string; env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> }[] = [];
  if (!values['skip-pglite']) {
    targets.push({
      label: 'PGlite',
      env: () => {
        const dir = mkdtempSync(join(tmpdir(), 'bench-login-'));
        return Promise.resolve({ env: { DATA_DIR: dir }, cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
      },
    });
  }
  if (!values['skip-pg']) {
    targets.push({
      label: 'PostgreSQL',
      env: async () => {
        const scratch = await createScratchDatabase(values.pg, 'bench_login');
        return { env: { DATABASE_URL: scratch.url, JWT_SECRET: 'bench-secret-bench-secret-0123456789abcdef' }, cleanup: () => scratch.drop() };
      },
    });
  }
  for (const target of targets) {
    const { env, cleanup } = await target.env();
    // Throttling off: this measures bcrypt's timing on every path, not the lockout's refusals.
    const server = await startServerProcess({ ...env, BCRYPT_COST: values.cost, LOGIN_MAX_FAILURES: '1000', LOGIN_IP_MAX_FAILURES: '1000000' });
    try {
      const admin = await server.login();
      const known = `known.${randomUUID().slice(0, 8)}@example.test`;
      const inactive = `inactive.${randomUUID().slice(0, 8)}@example.test`;
      await gql(server.url, admin, 'mutation($e:String!){createUser(input:{email:$e,password:"the-right-password"}){id}}', { e: known });
      await gql(server.url, admin, 'mutation($e:String!){createUser(input:{email:$e,password:"the-right-password",isActive:false}){id}}', { e: inactive });
      const cases: Record<string, () => string> = {
        'wrong password': () => known,
        'unknown email': () => `nobody.${randomUUID().slice(0, 8)}@example.test`,
        'deactivated account': () => inactive,
      };
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
      await attempt(server.url, known); // warm up
      for (let i = 0; i < rounds; i++) {
        for (const [name, email] of Object.entries(cases)) times[name]!.push(await attempt(server.url, email()));
      }
      const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      const base = median(times['wrong password']!);
      for (const [name, xs] of Object.entries(times)) {
        const sorted = [...xs].sort((a, b) => a - b);
        const ratio = median(xs) / base;
        rows.push({
          database: target.label,
          'failed login': name,
          'p50 ms': ms(median(xs)),
          'p95 ms': ms(percentile(sorted, 95)),
          'ratio to wrong password': ratio.toFixed(2),
          verdict: ratio > 0.8 && ratio < 1.25 ? 'indistinguishable' : 'DIFFERS: enumeration risk',
        });
      }
    } finally {
      await server.stop();
      await cleanup();
    }
  }
  printTable(`Failed logins, ${rounds} rounds each, interleaved, bcrypt cost ${values.cost}`, rows);
}

async function attempt(url: string, email: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', variables: { e: email, p: 'not-the-password' } }),
  });
  await response.text();
  return performance.now() - started;
}

async function gql(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}
