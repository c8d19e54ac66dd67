// `npm run bench -- events [--subscribers 1000] [--rounds 20] [--pg URL] [--redis URL] [--skip-pg] [--skip-pglite]`
//
// 1. Fan-out: N graphql-ws clients (one WebSocket each) subscribe to userCreated; each round
//    creates one user and measures, per subscriber, the time from sending the mutation to
//    receiving the event. Target: p99 <= 100 ms for 1,000 subscribers.
// 2. Bulk: 1,000 users suspended, deactivated and deleted by bulk mutations; mutation latency and
//    end to end until a subscriber has all 1,001 events of the action.
// The server runs as its own process (node dist/src/main.js), as in production, so it does not
// share an event loop with the 1,000 clients. With --pg, a fresh database on that server; with
// --redis, the events also go through Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createScratchDatabase } from '../devkit/scratch-database.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { ms, percentile, printTable } from './table.js';

interface Target {
  label: string;
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscribers: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '20' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      redis: { type: 'string' },
      'skip-pg': { type: 'boolean', default: false },
      'skip-pglite': { type: 'boolean', default: false },
    },
  });
  const subscribers = Number(values.subscribers);
  const rounds = Number(values.rounds);
  const fanout: Record<string, string | number>[] = [];
  const bulk: Record<string, string | number>[] = [];
  const targets: (() => Promise<Target>)[] = [];
  if (!values['skip-pglite']) targets.push(() => pgliteTarget());
  if (!values['skip-pg']) targets.push(() => postgresTarget(values.pg, values.redis));
  for (const make of targets) {
    const target = await make();
    const server = await startServerProcess(target.env);
    try {
      const token = await server.login();
      fanout.push({ database: target.label, ...(await benchFanout(server, token, subscribers, rounds)) });
      bulk.push(...(await benchBulk(server, token)).map((row) => ({ database: target.label, ...row })));
    } finally {
      await server.stop();
      await target.cleanup();
    }
  }
  printTable(
    `One event to ${subscribers} subscribers, ${rounds} rounds. event→client: from the event's occurredAt (stamped in the writing transaction) to receipt; sent→client: from sending the mutation`,
    fanout,
  );
  printTable('Bulk actions on 1,000 users (end to end: until a subscriber has all 1,001 events)', bulk);
}

function pgliteTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-events-'));
  return Promise.resolve({ label: 'PGlite', env: { DATA_DIR: dir }, cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
}

async function postgresTarget(serverUrl: string, redisUrl: string | undefined): Promise<Target> {
  const scratch = await createScratchDatabase(serverUrl, 'bench_events');
  return {
    label: redisUrl ? 'PostgreSQL + Redis' : 'PostgreSQL',
    env: { DATABASE_URL: scratch.url, JWT_SECRET: 'bench-secret-bench-secret-0123456789abcdef', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    cleanup: () => scratch.drop(),
  };
}

type Server = ServerProcess;

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

const CREATE = 'mutation($email:String!){createUser(input:{email:$email}){id}}';

async function benchFanout(server: Server, token: string, n: number, rounds: number): Promise<Record<string, string | number>> {
  const clients: Client[] = [];
  const received = new Map<string, number[]>(); // email -> receive times
  const sinceEvent: number[] = []; // receive time minus the event's occurredAt (same machine clock)
  let measuring = false;
  const onEvent = (email: string, occurredAt: string) => {
    const now = performance.now();
    const list = received.get(email);
    if (list) list.push(now);
    else received.set(email, [now]);
    if (measuring) sinceEvent.push(performance.timeOrigin + now - Date.parse(occurredAt));
  };
  for (let i = 0; i < n; i++) {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    client.subscribe<{ userCreated: { email: string; occurredAt: string } }>(
      { query: 'subscription{userCreated{email sequence occurredAt}}' },
      { next: (r) => r.data && onEvent(r.data.userCreated.email, r.data.userCreated.occurredAt), error: () => undefined, complete: () => undefined },
    );
    clients.push(client);
  }
  // Probe until every subscription is attached (a probe reaches all n).
  for (let i = 0; ; i++) {
    const email = `probe.${i}.${Date.now()}@bench.test`;
    await gql(server.url, token, CREATE, { email });
    const deadline = Date.now() + 3_000;
    while ((received.get(email)?.length ?? 0) < n && Date.now() < deadline) await sleep(20);
    if ((received.get(email)?.length ?? 0) >= n) break;
    if (i > 20) throw new Error('subscribers never all attached');
  }
  const latencies: number[] = [];
  const mutationTimes: number[] = [];
  measuring = true;
  for (let r = 0; r < rounds; r++) {
    const email = `round.${r}.${Date.now()}@bench.test`;
    const sent = performance.now();
    await gql(server.url, token, CREATE, { email });
    mutationTimes.push(performance.now() - sent);
    const deadline = Date.now() + 10_000;
    while ((received.get(email)?.length ?? 0) < n && Date.now() < deadline) await sleep(5);
    const times = received.get(email) ?? [];
    if (times.length !== n) throw new Error(`round ${r}: ${times.length} of ${n} subscribers got the event`);
    latencies.push(...times.map((t) => t - sent));
    await sleep(50);
  }
  for (const c of clients) void c.dispose();
  latencies.sort((a, b) => a - b);
  mutationTimes.sort((a, b) => a - b);
  sinceEvent.sort((a, b) => a - b);
  const p99 = percentile(sinceEvent, 99);
  return {
    subscribers: n,
    deliveries: latencies.length,
    'mutation p50 ms': ms(percentile(mutationTimes, 50)),
    'event→client p50 ms': ms(percentile(sinceEvent, 50)),
    'p99 ms': ms(p99),
    'max ms': ms(sinceEvent[sinceEvent.length - 1] ?? NaN),
    'p99 <= 100 ms': p99 <= 100 ? 'yes' : 'NO',
    'sent→client p50 ms': ms(percentile(latencies, 50)),
    'sent→client p99 ms': ms(percentile(latencies, 99)),
  };
}

async function benchBulk(server: Server, token: string): Promise<Record<string, string | number>[]> {
  const ids: string[] = [];
  for (let i = 0; i < 1000; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: 50 }, (_, j) => gql<{ createUser: { id: string } }>(server.url, token, CREATE, { email: `bulk.${i + j}.${Date.now()}@bench.test` })),
    );
    ids.push(...batch.map((b) => b.createUser.id));
  }
  const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const seen: { type: string; at: number }[] = [];
  client.subscribe<{ userEvents: { type: string } }>(
    { query: 'subscription{userEvents(types:[USER_SUSPENDED,USER_DEACTIVATED,USER_DELETED,USER_BULK_ACTION]){type sequence}}' },
    { next: (r) => r.data && seen.push({ type: r.data.userEvents.type, at: performance.now() }), error: () => undefined, complete: () => undefined },
  );
  await sleep(500);
  const rows: Record<string, string | number>[] = [];
  const actions: [string, string, string][] = [
    ['bulkSuspendUsers', 'USER_SUSPENDED', 'mutation($ids:[ID!]!){r:bulkSuspendUsers(ids:$ids,reason:"bench"){succeeded failed{id}}}'],
    ['bulkDeactivateUsers', 'USER_DEACTIVATED', 'mutation($ids:[ID!]!){r:bulkDeactivateUsers(ids:$ids){succeeded failed{id}}}'],
    ['bulkDeleteUsers', 'USER_DELETED', 'mutation($ids:[ID!]!){r:bulkDeleteUsers(ids:$ids){succeeded failed{id}}}'],
  ];
  for (const [name, type, query] of actions) {
    seen.length = 0;
    const started = performance.now();
    const result = await gql<{ r: { succeeded: string[]; failed: unknown[] } }>(server.url, token, query, { ids });
    const mutationMs = performance.now() - started;
    const deadline = Date.now() + 30_000;
    const done = () => seen.filter((e) => e.type === type).length >= 1000 && seen.some((e) => e.type === 'USER_BULK_ACTION');
    while (!done() && Date.now() < deadline) await sleep(5);
    rows.push({
      action: name,
      succeeded: result.r.succeeded.length,
      failed: result.r.failed.length,
      'mutation ms': ms(mutationMs),
      'all 1,001 events received ms': done() ? ms(Math.max(...seen.map((e) => e.at)) - started) : 'timeout',
    });
  }
  void client.dispose();
  return rows;
}


const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
