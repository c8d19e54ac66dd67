// GET /metrics as Prometheus scrapes it, after traffic of every kind the families describe; and
// the access log's lines for that traffic, which must never carry a secret.
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { subscribe, wsClient, eventually } from '../testkit/subscriptions.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { csv, uploadCsv } from '../testkit/upload.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let t: TestApp;
const lines: string[] = [];
beforeAll(async () => {
  t = await startTestApp({ env: { METRICS_TOKEN: TOKEN }, log: { level: 'info', write: (line) => void lines.push(line) } });
});
afterAll(async () => {
  await t?.stop();
});

const origin = () => new URL(t.url).origin;

async function scrape(): Promise<string> {
  const response = await fetch(`${origin()}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, e.g. sample(text, 'http_requests_total', { route: '/graphql' }): summed over the others. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!] as const));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : NaN;
}

describe('/metrics', () => {
  it('is not served at all without METRICS_TOKEN', async () => {
    const plain = await startTestApp();
    try {
      const response = await fetch(`${new URL(plain.url).origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    } finally {
      await plain.stop();
    }
  });

  it('needs METRICS_TOKEN', async () => {
    expect((await fetch(`${origin()}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${origin()}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('shows every family after traffic, with bounded labels', async () => {
    const secretPassword = 'Wrong-Password-77';
    (await t.anonymous.execute('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: 'admin@example.test', p: secretPassword })).expectError('UNAUTHENTICATED');
    await t.admin.execute('query Me { me { email } }').then((r) => r.expectData());
    await t.admin.execute('{ me { email } }').then((r) => r.expectData());
    (await t.admin.execute('query Bad { user(id: "nope") { id } }')).expectError('BAD_USER_INPUT');
    // A client inventing names cannot grow the series without bound.
    for (let i = 0; i < 210; i++) await t.admin.execute(`query Generated${i} { me { id } }`);

    const ws = wsClient(t.wsUrl, t.admin.token);
    const sub = subscribe<{ userCreated: { email: string } }>(ws, parse('subscription { userCreated { email } }'));
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    const created = await createUser(t.admin);
    expect((await sub.waitFor(1)).map((r) => r.userCreated.email)).toContain(created.email);

    const imported = await uploadCsv(t.admin, csv([['email', 'name'], [uniqueEmail('m1'), 'One'], [uniqueEmail('m2'), 'Two']]));
    expect(imported.expectData().importUsers.created).toBe(2);
    const link = (await t.admin.execute<{ exportUsers: { url: string } }>('mutation { exportUsers(format: NDJSON) { url } }')).expectData().exportUsers.url;
    const exported = (await (await fetch(link)).text()).split('\n').filter(Boolean).length;
    expect(exported).toBeGreaterThan(2);

    const text = await scrape();
    // Process and runtime defaults.
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // HTTP by route and status.
    expect(sample(text, 'http_requests_total', { route: '/graphql', status: '200', method: 'POST' })).toBeGreaterThan(200);
    expect(sample(text, 'http_requests_total', { route: '/metrics', status: '401' })).toBe(2);
    expect(sample(text, 'http_requests_total', { route: '/exports/:token', status: '200' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/graphql' })).toBeGreaterThan(200);
    // GraphQL by name, type and outcome.
    expect(sample(text, 'graphql_operations_total', { operation: 'Me', type: 'query', outcome: 'OK' })).toBe(1);
    expect(sample(text, 'graphql_operations_total', { operation: 'Bad', type: 'query', outcome: 'BAD_USER_INPUT' })).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'Me' })).toBe(1);
    const operations = new Set([...text.matchAll(/^graphql_operations_total\{[^}]*operation="([^"]*)"/gm)].map((m) => m[1]));
    expect(operations.size).toBeLessThanOrEqual(201);
    expect(operations.has('_other')).toBe(true);
    // Subscribers and events, imports and exports, logins.
    expect(sample(text, 'graphql_ws_connections')).toBe(1);
    expect(sample(text, 'graphql_ws_events_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'user_import_rows_committed_total')).toBe(2);
    expect(sample(text, 'user_export_rows_streamed_total')).toBe(exported);
    expect(sample(text, 'auth_login_failures_total')).toBe(1);
    // Outbox lag: caught up once the event was delivered.
    await eventually(async () => sample(await scrape(), 'outbox_lag_events') === 0, 10_000, 'outbox caught up');
    expect(sample(text, 'outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    if (t.app.services.db.kind === 'postgres') {
      expect(sample(text, 'db_pool_connections_in_use')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'db_pool_waiting_requests')).toBe(0);
    }
    sub.stop();
    await ws.dispose();
    await eventually(async () => sample(await scrape(), 'graphql_ws_connections') === 0, 5_000, 'connection gauge back to 0');

    // The access log saw it all, and none of the secrets.
    const access = lines.map((l) => JSON.parse(l) as { component?: string; req?: { path: string; id: string }; res?: { statusCode: number } }).filter((l) => l.component === 'access');
    expect(access.some((l) => l.req?.path === '/graphql' && l.res?.statusCode === 200)).toBe(true);
    expect(access.some((l) => l.req?.path === '/exports/[redacted]')).toBe(true);
    expect(access.every((l) => typeof l.req?.id === 'string')).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(secretPassword);
    expect(all).not.toContain(t.admin.token!);
    expect(all).not.toContain(new URL(link).pathname.split('/').pop()!);
    expect(all).not.toContain(TOKEN);
  });
});
