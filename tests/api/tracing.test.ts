// OpenTelemetry as an operator turns it on: the server process started with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver run by this test. A createUser is
// one trace, from the HTTP server span through GraphQL to the SQL statements on PostgreSQL, and
// the request's access log line names that trace.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../devkit/free-port.js';
import { createScratchDatabase, type ScratchDatabase } from '../../devkit/scratch-database.js';
import { eventually } from '../testkit/subscriptions.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

const root = join(import.meta.dirname, '../..');
const spans: Span[] = [];
let receiver: Server;
let database: ScratchDatabase;

beforeAll(async () => {
  // The OTLP/HTTP receiver: JSON-encoded ExportTraceServiceRequest on POST /v1/traces.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const request = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
        for (const r of request.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // SQL spans come from the pg driver: this test runs on the machine's PostgreSQL either way.
  database = await createScratchDatabase(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'users_trace');
});
afterAll(async () => {
  receiver?.close();
  await database?.drop();
});

describe('tracing', () => {
  it('exports one trace per createUser, HTTP → GraphQL → SQL, and logs its trace id', async () => {
    const port = await freePort();
    // The bundle, as the container runs it: with tracing on it hands over to the unbundled modules.
    const child = spawn(process.execPath, [join(root, 'dist/main.bundle.js')], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        BCRYPT_COST: '4',
        SHUTDOWN_DELAY: '0s',
        DATABASE_URL: database.url,
        JWT_SECRET: 'trace-secret-trace-secret-trace-secret-0123',
        ADMIN_EMAIL: 'trace-admin@example.test',
        ADMIN_PASSWORD: 'trace-admin-password',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await eventually(() => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 90_000, 'server ready');
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ data: Record<string, Record<string, string>> }>);
      const login = await post({ query: 'mutation { login(email: "trace-admin@example.test", password: "trace-admin-password") { accessToken } }' });
      const created = await post(
        { query: 'mutation CreateTraced { createUser(input: { email: "traced@example.test", name: "Traced" }) { id } }' },
        { authorization: `Bearer ${login.data.login!.accessToken}`, 'x-request-id': 'trace-create-1' },
      );
      expect(created.data.createUser!.id).toBeTruthy();

      // The access line of that request, and its trace id.
      await eventually(() => stdout.includes('"trace-create-1"'), 10_000, 'access line');
      const line = stdout.split('\n').find((l) => l.includes('"trace-create-1"') && l.includes('"access"'))!;
      const traceId = (JSON.parse(line) as { trace_id?: string }).trace_id;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(line.match(/"trace_id"/g)).toHaveLength(1);

      // The HTTP span ends last (with the response), so it may come in a later batch than the SQL.
      await eventually(
        () => spans.some((s) => s.traceId === traceId && /INSERT/i.test(s.name)) && spans.some((s) => s.traceId === traceId && !s.parentSpanId),
        15_000,
        'spans exported',
      );
      const trace = spans.filter((s) => s.traceId === traceId);
      const root = trace.filter((s) => !s.parentSpanId);
      expect(root).toHaveLength(1);
      expect(root[0]!.name).toMatch(/^POST/);
      expect(trace.some((s) => /graphql\.execute|mutation/i.test(s.name))).toBe(true);
      expect(trace.some((s) => /^pg\.query/.test(s.name))).toBe(true);
      // Every span hangs off the one root: one trace, not a forest.
      const ids = new Set(trace.map((s) => s.spanId));
      expect(trace.every((s) => !s.parentSpanId || ids.has(s.parentSpanId))).toBe(true);
      // The probes are not traced.
      await fetch(`${base}/readyz`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);
});
