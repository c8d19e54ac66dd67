// `npm run bench -- soak [--minutes 10] [--rate R] [--pg URL] [--users 100000] [--connections 16] [--peak-seconds 10]`
// Memory and steadiness under a steady load (issue 14 item 5). Our server runs as `npm start`
// runs it, on PostgreSQL, with METRICS_TOKEN set. The bench first measures the peak req/s of the
// request mix (unless --rate is given), then sends the mix at 70% of that peak for --minutes,
// with one graphql-ws subscriber on userCreated. The mix, per connection in turn: 3 first pages,
// 3 user(id), 2 me, 1 createUser, 1 updateUser (80% reads). Every 10 s it reads the server's
// /metrics: RSS, heap used and the event-loop delay (prom-client's monitorEventLoopDelay
// histogram, reset at each scrape, so each sample covers the 10 s before it).
//
// Prints a table per minute and the verdict: 0 errors (HTTP, GraphQL, timeouts, events the
// subscriber missed), RSS drift ≤ 10% between minute 2 and the last minute, and no growth of
// event-loop lag (the last minute's mean p99 ≤ 1.5× minute 2's + 5 ms). With fewer than 3
// minutes, minute 1 is the baseline (a short run checks the machinery, not the memory).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { ensureDatabase } from './list.bench.js';
import { seedBenchDatabase } from './peers.bench.js';
import { startServerProcess } from './server-process.js';
import { percentile, printTable } from './table.js';

const SAMPLE_MS = 10_000;
const METRICS_TOKEN = randomBytes(24).toString('hex');
const gql = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

interface Sample {
  at: number;
  rssMb: number;
  heapMb: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/bench_soak' },
      users: { type: 'string', default: '100000' },
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string' },
      connections: { type: 'string', default: '16' },
      'peak-seconds': { type: 'string', default: '10' },
    },
  });
  const minutes = Number(values.minutes);
  const connections = Number(values.connections);
  const secret = randomBytes(32).toString('hex');
  await ensureDatabase(values.pg);
  await seedBenchDatabase(values.pg, secret, Number(values.users));
  const targets = await someUsers(values.pg);

  // The token must outlive the run: the subscriber's socket would be closed at its expiry.
  const server = await startServerProcess({ DATABASE_URL: values.pg, JWT_SECRET: secret, METRICS_TOKEN, ACCESS_TOKEN_TTL: `${minutes + 30}m` });
  try {
    const token = await server.login();
    // New users' emails carry the phase (peak, soak): the subscriber counts the soak's only.
    const counters = { created: 0, graphqlErrors: 0, firstError: '', prefix: `soak-${randomBytes(4).toString('hex')}-peak-` };
    const requests = mix(token, targets, counters);

    let rate = values.rate ? Number(values.rate) : 0;
    if (!rate) {
      const peak = await load({ url: server.url, connections, duration: Number(values['peak-seconds']), requests });
      rate = Math.max(1, Math.round(peak.requests.average * 0.7));
      process.stdout.write(`peak ${Math.round(peak.requests.average)} req/s over ${values['peak-seconds']} s (${peak.errors + peak.non2xx} errors); soaking at 70%: ${rate} req/s\n`);
    } else {
      process.stdout.write(`soaking at --rate ${rate} req/s\n`);
    }
    counters.created = 0;
    counters.graphqlErrors = 0;
    counters.prefix = counters.prefix.replace(/-peak-$/, '-soak-');

    const seen = { events: 0, errors: 0 };
    const subscriber = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const unsubscribe = subscriber.subscribe<{ userCreated: { email: string } }>(
      { query: 'subscription { userCreated { email } }' },
      {
        next: (r) => {
          if (r.errors) seen.errors += 1;
          else if (r.data?.userCreated.email.startsWith(counters.prefix)) seen.events += 1;
        },
        error: () => (seen.errors += 1),
        complete: () => undefined,
      },
    );
    await new Promise((r) => setTimeout(r, 500));

    const samples: Sample[] = [];
    let scrapeFailures = 0;
    const metricsUrl = server.url.replace(/\/graphql$/, '/metrics');
    await scrape(metricsUrl); // resets the lag histogram: the first sample covers the soak only
    const started = performance.now();
    const latencies: number[][] = Array.from({ length: minutes }, () => []);
    const sampler = setInterval(() => {
      scrape(metricsUrl).then(
        (s) => samples.push({ ...s, at: performance.now() - started }),
        () => (scrapeFailures += 1),
      );
    }, SAMPLE_MS);
    const result = await load({ url: server.url, connections, duration: minutes * 60, requests, overallRate: rate }, (ms) => {
      const minute = Math.min(minutes - 1, Math.floor((performance.now() - started) / 60_000));
      latencies[minute]!.push(ms);
    });
    clearInterval(sampler);
    // Events of the last creates are still on their way through the outbox.
    for (let i = 0; i < 50 && seen.events < counters.created; i++) await new Promise((r) => setTimeout(r, 100));
    unsubscribe();
    await subscriber.dispose();

    const missed = Math.max(0, counters.created - seen.events);
    const errors = { http: result.errors + result.non2xx + result.timeouts, graphql: counters.graphqlErrors, subscriber: seen.errors + missed, metrics: scrapeFailures };
    report(minutes, rate, latencies, samples, errors, counters, seen.events);
  } finally {
    await server.stop();
  }
}

/** The ids updateUser and user(id) use: seeded users (not the bench admin). */
async function someUsers(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ id: string }>(`SELECT id::text AS id FROM users WHERE deleted_at IS NULL AND created_by_id IS NULL AND is_active ORDER BY email LIMIT 50 OFFSET 100`);
  await client.end();
  if (rows.length === 0) throw new Error('no seeded users');
  return rows.map((r) => r.id);
}

type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number];

function mix(token: string, ids: string[], counters: { created: number; graphqlErrors: number; firstError: string; prefix: string }): AutocannonRequest[] {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  let n = 0;
  const check = (status: number, body: string) => {
    if (status === 200 && !body.includes('"errors"')) return;
    counters.graphqlErrors += 1;
    counters.firstError ||= `${status} ${body.slice(0, 300)}`;
  };
  const read = (body: string): AutocannonRequest => ({ method: 'POST', path: '/graphql', headers, body, onResponse: check });
  const page = read(gql('{ users(first: 20) { edges { cursor node { id email name createdAt } } pageInfo { hasNextPage endCursor } } }'));
  const one = (): AutocannonRequest => ({
    method: 'POST',
    path: '/graphql',
    headers,
    setupRequest: (req) => ({ ...req, body: gql('query($id: ID!) { user(id: $id) { id email name createdAt } }', { id: ids[n++ % ids.length] }) }),
    onResponse: check,
  });
  const me = read(gql('{ me { id email name createdAt } }'));
  const create: AutocannonRequest = {
    method: 'POST',
    path: '/graphql',
    headers,
    setupRequest: (req) => ({ ...req, body: gql('mutation($e: String!) { createUser(input: { email: $e, name: "Soak Test" }) { id } }', { e: `${counters.prefix}${n++}@example.test` }) }),
    onResponse: (status, body) => {
      check(status, body);
      if (status === 200 && !body.includes('"errors"')) counters.created += 1;
    },
  };
  const update: AutocannonRequest = {
    method: 'POST',
    path: '/graphql',
    headers,
    setupRequest: (req) => ({ ...req, body: gql('mutation($id: ID!, $name: String) { updateUser(id: $id, input: { name: $name }) { version } }', { id: ids[n % ids.length], name: `Soak ${n++}` }) }),
    onResponse: check,
  };
  return [page, one(), me, page, one(), me, page, one(), create, update];
}

function load(options: autocannon.Options, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ method: 'POST', ...options }, (error: unknown, result) => (error ? reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error })) : resolve(result)));
    if (onLatency) instance.on('response', (_client, _status, _bytes, ms: number) => onLatency(ms));
  });
}

async function scrape(url: string): Promise<Omit<Sample, 'at'>> {
  const text = await (await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const value = (name: string) => {
    const match = new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    rssMb: value('process_resident_memory_bytes') / 2 ** 20,
    heapMb: value('nodejs_heap_size_used_bytes') / 2 ** 20,
    lagP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

function report(
  minutes: number,
  rate: number,
  latencies: number[][],
  samples: Sample[],
  errors: { http: number; graphql: number; subscriber: number; metrics: number },
  counters: { created: number; firstError: string },
  events: number,
): void {
  const inMinute = (m: number) => samples.filter((s) => s.at > m * 60_000 && s.at <= (m + 1) * 60_000 + 1_000);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const rows = latencies.map((ls, m) => {
    const sorted = [...ls].sort((a, b) => a - b);
    const ss = inMinute(m);
    return {
      minute: m + 1,
      'req/s': Math.round(ls.length / 60),
      'p50 ms': percentile(sorted, 50).toFixed(1),
      'p99 ms': percentile(sorted, 99).toFixed(1),
      'RSS MB': ss.length ? ss.at(-1)!.rssMb.toFixed(0) : '-',
      'heap MB': ss.length ? ss.at(-1)!.heapMb.toFixed(0) : '-',
      'lag p99 ms (mean)': ss.length ? mean(ss.map((s) => s.lagP99Ms)).toFixed(1) : '-',
      'lag max ms': ss.length ? Math.max(...ss.map((s) => s.lagMaxMs)).toFixed(1) : '-',
    };
  });
  printTable(`Soak: ${minutes} min at ${rate} req/s (target), 16 connections, samples every ${SAMPLE_MS / 1000} s`, rows);
  process.stdout.write(`\nusers created ${counters.created}, userCreated events at the subscriber ${events}\n`);
  if (counters.firstError) process.stdout.write(`first error: ${counters.firstError}\n`);

  const base = minutes >= 3 ? 1 : 0;
  const last = minutes - 1;
  const rssAt = (m: number) => inMinute(m).at(-1)?.rssMb ?? NaN;
  const lagAt = (m: number) => mean(inMinute(m).map((s) => s.lagP99Ms));
  const drift = (rssAt(last) - rssAt(base)) / rssAt(base);
  const totalErrors = errors.http + errors.graphql + errors.subscriber + errors.metrics;
  const verdict = [
    { check: 'errors', measured: `${totalErrors} (HTTP ${errors.http}, GraphQL ${errors.graphql}, subscriber ${errors.subscriber}, /metrics ${errors.metrics})`, target: '0', ok: totalErrors === 0 },
    {
      check: `RSS drift, minute ${base + 1} → ${last + 1}`,
      measured: `${(drift * 100).toFixed(1)}% (${rssAt(base).toFixed(0)} → ${rssAt(last).toFixed(0)} MB)`,
      target: '≤ 10%',
      ok: Math.abs(drift) <= 0.1,
    },
    {
      check: `event-loop lag p99, minute ${base + 1} → ${last + 1}`,
      measured: `${lagAt(base).toFixed(1)} → ${lagAt(last).toFixed(1)} ms`,
      target: 'no growth (≤ 1.5× + 5 ms)',
      ok: lagAt(last) <= lagAt(base) * 1.5 + 5,
    },
  ];
  printTable('Verdict', verdict.map((v) => ({ ...v, ok: v.ok ? 'yes' : 'NO' })));
  process.stdout.write(`\n${verdict.every((v) => v.ok) ? 'PASS' : 'FAIL'}\n`);
}
