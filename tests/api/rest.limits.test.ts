// The REST API shares GraphQL's rate limit budgets and CORS settings, and its changes are the
// services' events: a 429 in the REST error shape with Retry-After, a preflight allowing PATCH
// and If-Match, and the same USER_CREATED / USER_UPDATED / USER_DELETED records in the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserEventLogDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { RestClient, RestContract, type RestError } from '../testkit/rest.js';
import { uniqueEmail } from '../testkit/seed.js';

let t: TestApp;
let admin: RestClient;
let base: string;
beforeAll(async () => {
  // Per principal: 8 points a minute; the address budget stays off (the tests share 127.0.0.1).
  t = await startTestApp({ env: { RATE_LIMIT_POINTS: '8', RATE_LIMIT_WINDOW: '60s', CORS_ORIGINS: 'https://app.example.com' } });
  base = new URL(t.url).origin;
  admin = new RestClient(base, await RestContract.load(base), t.admin.token);
});
afterAll(async () => {
  await t?.stop();
});

describe('REST and the rest of the service', () => {
  it('records the same events as GraphQL for REST changes', async () => {
    const created = await admin.post<{ id: string }>('/api/users', { email: uniqueEmail(), name: 'Evented' });
    const id = created.body.id;
    await admin.request('PATCH', `/api/users/${id}`, { json: { name: 'Evented Again' } });
    await admin.request('DELETE', `/api/users/${id}`);
    const log = (await t.admin.execute(UserEventLogDocument, { userId: id, first: 10 })).expectData().userEventLog;
    expect(log.edges.map((e) => e.node.type)).toEqual(['USER_CREATED', 'USER_UPDATED', 'USER_DELETED']);
  });

  it('answers a preflight for PATCH with If-Match from an allowed origin, and exposes ETag', async () => {
    const answer = await fetch(`${base}/api/users/00000000-0000-4000-8000-000000000000`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type,if-match' },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(answer.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(answer.headers.get('access-control-allow-headers')).toContain('if-match');
    const read = await fetch(`${base}/api/users/stats`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${t.admin.token}` } });
    expect(read.headers.get('access-control-expose-headers')).toContain('etag');
    const foreign = await fetch(`${base}/api/users/stats`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${t.admin.token}` } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('spends the principal budget: bulk costs 10 points, then 429 TOO_MANY_REQUESTS with Retry-After', async () => {
    const bulk = await admin.post<RestError>('/api/users/bulk/activate', { ids: ['00000000-0000-4000-8000-000000000000'] });
    expect(bulk.status).toBe(429);
    expect(bulk.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(bulk.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(bulk.body.meta?.retryAfter).toBe(Number(bulk.headers.get('retry-after')));
  });
});
