// Rate limits (README, Rate limits): per principal and per client address, 429 with Retry-After
// and TOO_MANY_REQUESTS, heavier operations costing more, shared between instances through
// Redis, and the client address taken from X-Forwarded-For only with TRUST_PROXY.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { GraphQLClient } from '../testkit/graphql.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const apps: TestApp[] = [];
async function app(env: Record<string, string>): Promise<TestApp> {
  const started = await startTestApp({ env });
  apps.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
});

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
}

async function expectTooMany(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await response.json()) as { errors: { extensions: { code: string; retryAfter: number } }[] };
  expect(body.errors[0]!.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter });
}

describe('per principal', () => {
  it('answers 429 with Retry-After once a signed-in caller has spent the window, and counts heavy operations more', async () => {
    const t = await app({ RATE_LIMIT_POINTS: '12' });
    const auth = { authorization: `Bearer ${t.admin.token}` };
    // totalCount: 5 points each; 12 points allow two and a plain query (1), then nothing.
    expect((await post(t.url, '{ users(first: 1) { totalCount } }', auth)).status).toBe(200);
    const second = await post(t.url, '{ users(first: 1) { totalCount } }', auth);
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit-remaining')).toBe('2');
    expect((await post(t.url, '{ me { id } }', auth)).status).toBe(200);
    // A bulk action costs 10: refused with 1 point left, while an anonymous caller is not limited.
    await expectTooMany(await post(t.url, `mutation { bulkActivateUsers(ids: ["${randomUUID()}"]) { requested } }`, auth));
    expect((await post(t.url, '{ __typename }')).status).toBe(200);
  });

  it('is shared between instances through Redis', async () => {
    const env = { RATE_LIMIT_POINTS: '3', REDIS_URL };
    const a = await app(env);
    const b = await app(env);
    // The same token (same secret) is the same principal on both instances (on PGlite each has
    // its own database, so the query asks nothing of it).
    const token = a.admin.token!;
    (await new GraphQLClient(a.url, token).execute('{ __typename }')).expectData();
    (await new GraphQLClient(a.url, token).execute('{ __typename }')).expectData();
    (await new GraphQLClient(b.url, token).execute('{ __typename }')).expectData();
    await expectTooMany(await post(b.url, '{ __typename }', { authorization: `Bearer ${token}` }));
  });
});

describe('per client address', () => {
  it('limits anonymous callers by address and refuses export downloads past it', async () => {
    const t = await app({ RATE_LIMIT_IP_POINTS: '12' });
    const { url } = (await t.admin.execute<{ exportUsers: { url: string } }>('mutation { exportUsers(format: CSV, fields: [EMAIL]) { url } }')).expectData().exportUsers;
    // Login (1) and the export mutation (10) spent 11 of 12: one query left, no download.
    expect((await post(t.url, '{ __typename }')).status).toBe(200);
    await expectTooMany(await fetch(url));
  });

  it('believes X-Forwarded-For only with TRUST_PROXY', async () => {
    const untrusted = await app({ RATE_LIMIT_IP_POINTS: '2' });
    // Login spent 1: a different forwarded address does not help without TRUST_PROXY.
    expect((await post(untrusted.url, '{ __typename }', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    await expectTooMany(await post(untrusted.url, '{ __typename }', { 'x-forwarded-for': '203.0.113.8' }));

    const trusted = await app({ RATE_LIMIT_IP_POINTS: '2', TRUST_PROXY: 'loopback' });
    for (const address of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      expect((await post(trusted.url, '{ __typename }', { 'x-forwarded-for': address })).status, address).toBe(200);
    }
    expect((await post(trusted.url, '{ __typename }', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    await expectTooMany(await post(trusted.url, '{ __typename }', { 'x-forwarded-for': '203.0.113.7' }));
  });
});
