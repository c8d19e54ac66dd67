// Links and conventions: export links point where the client reached the server (PUBLIC_URL
// first; forwarded headers only from a trusted proxy), the event log's pageInfo is Relay's, and
// bulk and import row codes are enums in the schema.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';

let t: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  [t, proxied] = await Promise.all([startTestApp(), startTestApp({ env: { TRUST_PROXY: 'loopback' } })]);
});
afterAll(async () => {
  await Promise.all([t?.stop(), proxied?.stop()]);
});

/** exportUsers over a raw HTTP request, so the Host header is ours to choose. */
function exportLink(app: TestApp, headers: Record<string, string>): Promise<string> {
  const body = JSON.stringify({ query: 'mutation { exportUsers(format: CSV, fields: [EMAIL]) { url } }' });
  const target = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app.admin.token}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const parsed = JSON.parse(text) as { data?: { exportUsers: { url: string } }; errors?: unknown };
          if (!parsed.data) reject(new Error(text));
          else resolve(parsed.data.exportUsers.url);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('export links', () => {
  it('point at the host the client used, not the bind address', async () => {
    expect(await exportLink(t, { host: 'users.example.test:8080' })).toMatch(/^http:\/\/users\.example\.test:8080\/exports\/[\w.-]+$/);
  });

  it('ignore X-Forwarded-Proto/Host unless TRUST_PROXY trusts the sender', async () => {
    const forwarded = { host: 'internal:4000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.test' };
    expect(await exportLink(t, forwarded)).toMatch(/^http:\/\/internal:4000\/exports\//);
    expect(await exportLink(proxied, forwarded)).toMatch(/^https:\/\/api\.example\.test\/exports\//);
  });

  it('use PUBLIC_URL when it is set', async () => {
    const app = await startTestApp({ env: { PUBLIC_URL: 'https://users.example.com/base/' } });
    try {
      expect(await exportLink(app, { host: 'elsewhere:1' })).toMatch(/^https:\/\/users\.example\.com\/base\/exports\//);
    } finally {
      await app.stop();
    }
  });

  it('ignore a Host header that is not a plain host', async () => {
    const url = await exportLink(t, { host: 'evil.example/x?' });
    expect(url.startsWith(t.url.replace(/\/graphql$/, ''))).toBe(true);
  });
});

describe('event log pageInfo', () => {
  it('has startCursor (the first edge) and hasPreviousPage, as Relay requires', async () => {
    for (const n of [1, 2]) {
      (await t.admin.execute(`mutation { createUser(input: { email: "relay-${n}-${Date.now()}@example.test" }) { id } }`)).expectData();
    }
    const page = (
      await t.admin.execute<{ userEventLog: { edges: { cursor: string }[]; pageInfo: { hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } } }>(
        '{ userEventLog(first: 2) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }',
      )
    ).expectData().userEventLog;
    expect(page.edges.length).toBeGreaterThan(0);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
  });
});

describe('codes as enums', () => {
  it('types bulk failure codes and import row error codes as GraphQL enums', async () => {
    const typeOf = async (type: string) =>
      (
        await t.admin.execute<{ __type: { fields: { name: string; type: { kind: string; name: string | null; ofType: { kind: string; name: string } | null } }[] } }>(
          `{ __type(name: "${type}") { fields { name type { kind name ofType { kind name } } } } }`,
        )
      )
        .expectData()
        .__type.fields.find((f) => f.name === 'code')!.type;
    const bulk = await typeOf('BulkActionFailure');
    expect(bulk.ofType).toEqual({ kind: 'ENUM', name: 'BulkFailureCode' });
    const row = await typeOf('ImportRowError');
    expect(row.ofType).toEqual({ kind: 'ENUM', name: 'ImportRowErrorCode' });
  });

  it('still answers the same code values', async () => {
    const result = (
      await t.admin.execute<{ bulkActivateUsers: { failed: { code: string }[] } }>('mutation { bulkActivateUsers(ids: ["nope", "00000000-0000-4000-8000-000000000000"]) { failed { code } } }')
    ).expectData();
    expect(result.bulkActivateUsers.failed.map((f) => f.code).sort()).toEqual(['BAD_USER_INPUT', 'USER_MANAGEMENT_USER_NOT_FOUND']);
  });
});
