// The REST tour over real HTTP: create, list (filters, sort, cursor and page paging), read with
// ETag, update with a stale If-Match (412), lifecycle, delete (204), stats, bulk, and the errors a
// REST client meets. Every answer is also checked against /api/openapi.json (testkit/rest.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { RestClient, RestContract, type RestError } from '../testkit/rest.js';
import { clientFor, uniqueEmail } from '../testkit/seed.js';

interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status: string;
  version: number;
  isActive: boolean;
  createdAt: string;
}
interface UserPage {
  data: User[];
  pagination: { limit: number; page?: number; nextCursor: string | null; hasNextPage: boolean; total?: number };
}

let t: TestApp;
let admin: RestClient;
let anonymous: RestClient;
beforeAll(async () => {
  t = await startTestApp();
  const base = new URL(t.url).origin;
  anonymous = new RestClient(base, await RestContract.load(base));
  admin = anonymous.withToken(t.admin.token);
});
afterAll(async () => {
  await t?.stop();
});

/** A tag unique to one test, in every name it creates, so searches see only its users. */
function tag(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

async function create(client: RestClient, input: Record<string, unknown>) {
  return client.post<User>('/api/users', { email: uniqueEmail(), ...input });
}

describe('one user', () => {
  it('creates (201, Location, ETag), reads, updates with If-Match, answers 412 to a stale one, deletes (204)', async () => {
    const created = await create(admin, { name: 'Ada Lovelace', role: 'VIEWER', password: 'correct horse' });
    expect(created.status).toBe(201);
    const user = created.body;
    expect(created.headers.get('location')).toBe(`/api/users/${user.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(user).toMatchObject({ name: 'Ada Lovelace', role: 'VIEWER', status: 'ACTIVE', version: 1 });
    expect(user).not.toHaveProperty('passwordHash');
    expect(created.text).not.toContain('correct horse');

    const read = await admin.get<User>(`/api/users/${user.id}`);
    expect(read.status).toBe(200);
    expect(read.body.email).toBe(user.email);
    expect((await admin.get(`/api/users/${user.id}`, { 'if-none-match': '"1"' })).status).toBe(304);

    const updated = await admin.request<User>('PATCH', `/api/users/${user.id}`, { json: { name: 'Ada King' }, headers: { 'if-match': '"1"' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Ada King', version: 2 });
    expect(updated.headers.get('etag')).toBe('"2"');

    const stale = await admin.request<RestError>('PATCH', `/api/users/${user.id}`, { json: { name: 'Lost update' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('USER_MANAGEMENT_VERSION_CONFLICT');
    expect(stale.body.meta?.actualVersion).toBe(2);
    expect((await admin.get<User>(`/api/users/${user.id}`)).body.name).toBe('Ada King');

    const deleted = await admin.request('DELETE', `/api/users/${user.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await admin.get<RestError>(`/api/users/${user.id}`)).body.code).toBe('USER_MANAGEMENT_USER_NOT_FOUND');
    const restored = await admin.post<User>(`/api/users/${user.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.status).toBe('ACTIVE');
  });

  it('suspends, unsuspends, deactivates and activates on the lifecycle rules', async () => {
    const { body: user } = await create(admin, {});
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const suspended = await admin.post<User & { suspensionReason: string; suspendedUntil: string }>(`/api/users/${user.id}/suspend`, { reason: 'chargeback', until });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'chargeback', suspendedUntil: until });
    expect((await admin.post<User>(`/api/users/${user.id}/unsuspend`)).body.status).toBe('ACTIVE');
    expect((await admin.post<User>(`/api/users/${user.id}/deactivate`)).body.status).toBe('INACTIVE');
    const inactive = await admin.post<RestError>(`/api/users/${user.id}/suspend`, { reason: 'again' });
    expect(inactive.status).toBe(422);
    expect(inactive.body.code).toBe('USER_MANAGEMENT_USER_INACTIVE');
    expect((await admin.post<User>(`/api/users/${user.id}/activate`)).body.status).toBe('ACTIVE');
  });

  it('answers 409 with the GraphQL code for a taken email', async () => {
    const { body: user } = await create(admin, {});
    const again = await admin.post<RestError>('/api/users', { email: user.email.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('USER_MANAGEMENT_USER_ALREADY_EXISTS');
  });

  it('names each bad field by its request name (400 BAD_USER_INPUT)', async () => {
    const bad = await admin.post<RestError>('/api/users', { email: 'not-an-email', password: 'short', nickname: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_USER_INPUT');
    expect(bad.body.details.map((d) => d.path).sort()).toEqual(['email', 'nickname', 'password']);
  });

  it('answers 404 for an unknown id and for an id that is not a UUID', async () => {
    const unknown = await admin.get<RestError>('/api/users/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('USER_MANAGEMENT_USER_NOT_FOUND');
    const malformed = await admin.get<RestError>('/api/users/not-a-uuid');
    expect(malformed.status).toBe(404);
    expect(malformed.body.code).toBe('USER_MANAGEMENT_USER_NOT_FOUND');
    const patch = await admin.request<RestError>('PATCH', '/api/users/00000000-0000-4000-8000-000000000000', { json: { name: 'x' } });
    expect(patch.status).toBe(404);
  });
});

describe('auth', () => {
  it('answers 401 without a token or with a bad one, and 403 to a VIEWER writing', async () => {
    const none = await anonymous.get<RestError>('/api/users');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await anonymous.withToken('not.a.token').get<RestError>('/api/users')).status).toBe(401);

    const viewer = await clientFor(t.admin, 'VIEWER');
    const asViewer = admin.withToken(viewer.client.token);
    expect((await asViewer.get('/api/users?limit=1')).status).toBe(200);
    const write = await asViewer.post<RestError>('/api/users', { email: uniqueEmail() });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('FORBIDDEN');
    expect((await asViewer.post<RestError>('/api/users/bulk/delete', { ids: [viewer.user.id] })).status).toBe(403);
  });

  it('signs in over REST (POST /api/auth/login) on the same auth service', async () => {
    const viewer = await clientFor(t.admin, 'VIEWER');
    const login = await anonymous.post<{ accessToken: string; userId: string }>('/api/auth/login', { email: viewer.user.email, password: viewer.password });
    expect(login.status).toBe(200);
    expect(login.body.userId).toBe(viewer.user.id);
    expect((await anonymous.withToken(login.body.accessToken).get('/api/users/stats')).status).toBe(200);
    const wrong = await anonymous.post<RestError>('/api/auth/login', { email: viewer.user.email, password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('UNAUTHENTICATED');
  });
});

describe('listing', () => {
  it('filters by search, role and isActive, sorts, and pages by cursor and by page', async () => {
    const mark = tag();
    const names = ['Delta', 'Alpha', 'Charlie', 'Bravo', 'Echo'];
    for (const [i, name] of names.entries()) {
      await create(admin, { name: `${mark} ${name}`, lastName: name, role: i % 2 ? 'VIEWER' : 'USER' });
    }
    const other = await create(admin, { name: `${mark} Foxtrot`, lastName: 'Foxtrot', role: 'USER' });
    await admin.post(`/api/users/${other.body.id}/deactivate`);

    const all = await admin.get<UserPage>(`/api/users?search=${mark}&sort=lastName:asc&total=true&limit=100`);
    expect(all.status).toBe(200);
    expect(all.body.data.map((u) => u.name)).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot'].map((n) => `${mark} ${n}`));
    expect(all.body.pagination).toMatchObject({ total: 6, hasNextPage: false, nextCursor: null });

    const users = await admin.get<UserPage>(`/api/users?search=${mark}&role=USER&isActive=true&sort=lastName:desc`);
    expect(users.body.data.map((u) => u.name)).toEqual([`${mark} Echo`, `${mark} Delta`, `${mark} Charlie`]);
    const both = await admin.get<UserPage>(`/api/users?search=${mark}&role=USER,VIEWER&role=admin&total=true`);
    expect(both.body.pagination.total).toBe(6);

    // Cursor paging: pages of 2 through all six, no duplicates, no gaps.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: UserPage } = await admin.get<UserPage>(`/api/users?search=${mark}&sort=lastName:asc&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.body.data.map((u) => u.name!));
      cursor = page.body.pagination.nextCursor;
      expect(page.body.pagination.hasNextPage).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(all.body.data.map((u) => u.name));

    // Offset paging: page 2 of size 2 is the 3rd and 4th users; past the end, empty.
    const second = await admin.get<UserPage>(`/api/users?search=${mark}&sort=lastName:asc&limit=2&page=2`);
    expect(second.body.data.map((u) => u.name)).toEqual(seen.slice(2, 4));
    expect(second.body.pagination).toMatchObject({ page: 2, hasNextPage: true });
    const beyond = await admin.get<UserPage>(`/api/users?search=${mark}&limit=2&page=4`);
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination.hasNextPage).toBe(false);
  });

  it('filters by creation time and status, and lists deleted users for an ADMIN', async () => {
    const mark = tag();
    const { body: user } = await create(admin, { name: `${mark} gone` });
    await admin.request('DELETE', `/api/users/${user.id}`);
    const from = new Date(Date.now() - 60_000).toISOString();
    expect((await admin.get<UserPage>(`/api/users?search=${mark}`)).body.data).toEqual([]);
    const deleted = await admin.get<UserPage>(`/api/users?search=${mark}&deleted=ONLY&status=DELETED&createdFrom=${from}`);
    expect(deleted.body.data.map((u) => u.id)).toEqual([user.id]);
    const future = await admin.get<UserPage>(`/api/users?search=${mark}&deleted=INCLUDE&createdFrom=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.data).toEqual([]);
  });

  it('refuses bad parameters naming them: limit, page depth, sort, unknown ones, cursor with page', async () => {
    const cases: [string, string][] = [
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=100&page=102', 'page'],
      ['sort=password:asc', 'sort'],
      ['role=ROOT', 'role'],
      ['isActive=yes', 'isActive'],
      ['createdFrom=yesterday', 'createdFrom'],
      ['colour=red', 'colour'],
      ['cursor=bm9wZQ', 'cursor'],
    ];
    for (const [query, field] of cases) {
      const answer = await admin.get<RestError>(`/api/users?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code, query).toBe('BAD_USER_INPUT');
      expect(answer.body.details.map((d) => d.path), query).toContain(field);
    }
    const both = await admin.get<RestError>('/api/users?page=2&cursor=x');
    expect(both.status).toBe(400);
    const viewer = await clientFor(t.admin, 'VIEWER');
    expect((await admin.withToken(viewer.client.token).get<RestError>('/api/users?deleted=INCLUDE')).status).toBe(403);
  });
});

describe('stats and bulk', () => {
  it('answers the statistics (not captured by /:id)', async () => {
    const stats = await admin.get<{ total: number; byRole: unknown[] }>('/api/users/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.total).toBeGreaterThan(0);
    const bad = await admin.get<RestError>('/api/users/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0]?.path).toBe('from');
  });

  it('acts in bulk and reports missing and malformed ids as data', async () => {
    const a = (await create(admin, {})).body;
    const b = (await create(admin, {})).body;
    const missing = '00000000-0000-4000-8000-000000000001';
    const deactivated = await admin.post<{ requested: number; succeeded: string[]; failed: { id: string; code: string }[] }>('/api/users/bulk/deactivate', {
      ids: [a.id, b.id, missing, 'nope', a.id],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.requested).toBe(4);
    expect(deactivated.body.succeeded.sort()).toEqual([a.id, b.id].sort());
    expect(deactivated.body.failed).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: missing, code: 'USER_MANAGEMENT_USER_NOT_FOUND' }), expect.objectContaining({ id: 'nope', code: 'BAD_USER_INPUT' })]),
    );
    expect((await admin.post<{ succeeded: string[] }>('/api/users/bulk/activate', { ids: [a.id] })).body.succeeded).toEqual([a.id]);
    expect((await admin.post<{ succeeded: string[] }>('/api/users/bulk/delete', { ids: [a.id, b.id] })).body.succeeded.length).toBe(2);
    const empty = await admin.post<RestError>('/api/users/bulk/delete', {});
    expect(empty.status).toBe(400);
    expect(empty.body.details[0]?.path).toBe('ids');
  });
});

describe('transport', () => {
  it('answers JSON for unknown /api routes and unreadable bodies, never HTML', async () => {
    const unknown = await admin.get<RestError>('/api/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const badJson = await admin.request<RestError>('POST', '/api/users', { body: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('BAD_REQUEST');
    expect(badJson.text).not.toContain('<');
  });

  it('counts REST requests in /metrics by their declared route, never by id', async () => {
    expect(t.app.services.metrics).toBeDefined();
    const { body: user } = await create(admin, {});
    await admin.get(`/api/users/${user.id}`);
    const text = await t.app.services.metrics.registry.metrics();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/users\/:id",status="200"\}/);
    expect(text).not.toContain(user.id);
  });
});
