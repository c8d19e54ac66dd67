import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uploadCsv } from '../testkit/upload.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const base = () => t.url.replace(/\/graphql$/, '');

describe('HTTP endpoints', () => {
  it('GET /healthz answers while the process is up', async () => {
    const response = await fetch(`${base()}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz checks the database', async () => {
    const response = await fetch(`${base()}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });

  it('serves the Sandbox landing page on GET /graphql for browsers, pointing at this endpoint', async () => {
    const response = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('embeddable-sandbox');
    expect(html).toContain('initialEndpoint');
  });

  it('answers POST /graphql without an ETag (answers depend on the caller), whatever the JSON content type spelling', async () => {
    for (const type of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"']) {
      const response = await fetch(t.url, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(await response.json(), type).toEqual({ data: { __typename: 'Query' } });
      expect(response.headers.get('etag'), type).toBeNull();
    }
  });

  it('answers GET /graphql queries (with the CSRF header)', async () => {
    const query = encodeURIComponent('{ __typename }');
    const response = await fetch(`${t.url}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('keeps CSRF prevention on: a simple GET without a preflight header is refused', async () => {
    const query = encodeURIComponent('{ __typename }');
    const response = await fetch(`${t.url}?query=${query}`);
    expect(response.status).toBe(400);
  });

  it('allows introspection without a token so Sandbox can show the schema', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });
    expect(await response.json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('returns an x-request-id, echoing a sane one the client sent', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-123' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('trace-123');
  });

  it('reports a query syntax error as GRAPHQL_PARSE_FAILED, not a 500', async () => {
    const result = await t.admin.execute('{ users(first: ) }');
    result.expectError('GRAPHQL_PARSE_FAILED');
  });
});

describe('introspection switch', () => {
  it('INTROSPECTION=false turns it off', async () => {
    const closed = await startTestApp({ env: { INTROSPECTION: 'false' } });
    try {
      const result = await closed.admin.execute('{ __schema { queryType { name } } }');
      result.expectError('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await closed.stop();
    }
  });
});

describe('shutdown', () => {
  it('drains an in-flight request, then refuses new connections', async () => {
    const other = await startTestApp();
    // An import that waits for its end keeps a request in flight for a second or more.
    const rows = Array.from({ length: 40_000 }, (_, i) => `drain.${i}@shutdown.test`).join('\n');
    const inFlight = uploadCsv(other.admin, `email\n${rows}\n`, { options: { wait: true } });
    await waitFor(async () => (await other.app.services.db.prisma.user.count({ where: { email: { endsWith: '@shutdown.test' } } })) > 0);
    const stopped = other.stop();
    // The client still gets a complete answer: the import either finished or was interrupted.
    const result = await inFlight;
    const status = result.expectData().importUsers.status;
    expect(['SUCCEEDED', 'FAILED']).toContain(status);
    await stopped;
    await expect(fetch(other.url.replace('/graphql', '/healthz'))).rejects.toThrow();
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}
