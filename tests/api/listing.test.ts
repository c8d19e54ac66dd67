// The listing against a plain-SQL ground truth on randomized data: every randomized
// filter/sort/page-size combination, paged forward or backward, must return exactly the rows
// the ground truth returns, in its order, each once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserIdsDocument, UserIdsForwardDocument, UsersWithCountDocument, type UserFilter, type UserIdsQuery, type UserIdsQueryVariables, type UserOrder } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor } from '../testkit/seed.js';
import { chance, pick, rng } from '../testkit/random.js';

let t: TestApp;
const ids: string[] = [];
const SEED = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
const random = rng(SEED);
const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Zoë', 'Émile'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds', "O'Neil", 'van Rossum'];
const ROLES = ['ADMIN', 'VIEWER', 'USER'] as const;
const BASE = Date.UTC(2020, 0, 1);

beforeAll(async () => {
  t = await startTestApp();
  // Rows inserted directly with spread-out timestamps (the API would stamp them all "now").
  const rows = Array.from({ length: 160 }, (_, i) => {
    const first = chance(random, 0.9) ? pick(random, FIRST_NAMES) : null;
    const last = chance(random, 0.85) ? pick(random, LAST_NAMES) : null;
    // Few distinct timestamps on purpose: many ties, so the id tie-break is exercised.
    const created = new Date(BASE + Math.floor(random() * 40) * 86_400_000);
    const id = randomUUID();
    ids.push(id);
    return {
      id,
      email: `${(first ?? 'anon').toLowerCase()}.${i}.${id.slice(0, 6)}@${pick(random, ['example.test', 'corp.test', 'mail.test'])}`,
      name: first && last ? `${first} ${last}` : chance(random, 0.5) ? first : null,
      firstName: first,
      lastName: last,
      role: pick(random, ROLES),
      isActive: chance(random, 0.8),
      isEmailVerified: chance(random, 0.6),
      createdAt: created,
      updatedAt: new Date(created.getTime() + Math.floor(random() * 5) * 3_600_000),
      lastLoginAt: chance(random, 0.7) ? new Date(BASE + Math.floor(random() * 60) * 86_400_000) : null,
      deletedAt: chance(random, 0.1) ? new Date(BASE + 70 * 86_400_000) : null,
    };
  });
  await t.app.services.db.prisma.user.createMany({ data: rows });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const COLUMNS: Record<UserOrder['field'], string> = {
  CREATED_AT: 'created_at',
  UPDATED_AT: 'updated_at',
  EMAIL: 'email',
  NAME: 'name',
  LAST_NAME: 'last_name',
  LAST_LOGIN_AT: 'last_login_at',
};

/** Independent of src/: a hand-written WHERE/ORDER BY over the same rows. */
async function groundTruth(filter: UserFilter, order: UserOrder[]): Promise<string[]> {
  const where: string[] = ['id = ANY($1::uuid[])'];
  const params: unknown[] = [filter.ids];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const deleted = filter.deleted ?? 'EXCLUDE';
  if (deleted === 'EXCLUDE') where.push('deleted_at IS NULL');
  if (deleted === 'ONLY') where.push('deleted_at IS NOT NULL');
  if (filter.search) {
    const p = param(`%${filter.search.toLowerCase()}%`);
    where.push(`(lower(email) LIKE ${p} OR lower(name) LIKE ${p} OR lower(first_name) LIKE ${p} OR lower(last_name) LIKE ${p})`);
  }
  if (filter.roles) where.push(`role::text = ANY(${param(filter.roles)}::text[])`);
  if (filter.isActive != null) where.push(`is_active = ${param(filter.isActive)}`);
  if (filter.isEmailVerified != null) where.push(`is_email_verified = ${param(filter.isEmailVerified)}`);
  if (filter.createdAt?.gte) where.push(`created_at >= ${param(filter.createdAt.gte)}::timestamptz`);
  if (filter.createdAt?.lt) where.push(`created_at < ${param(filter.createdAt.lt)}::timestamptz`);
  if (filter.lastLoginAt?.isNull === true) where.push('last_login_at IS NULL');
  if (filter.lastLoginAt?.isNull === false) where.push('last_login_at IS NOT NULL');
  if (filter.lastLoginAt?.gte) where.push(`last_login_at >= ${param(filter.lastLoginAt.gte)}::timestamptz`);
  const keys = (order.length ? order : [{ field: 'CREATED_AT', direction: 'DESC' } as UserOrder]).map(
    (k) => `${COLUMNS[k.field]} ${k.direction} NULLS LAST`,
  );
  const lastDirection = order.length ? order[order.length - 1]!.direction : 'DESC';
  const sql = `SELECT id::text AS id FROM users WHERE ${where.join(' AND ')} ORDER BY ${keys.join(', ')}, id ${lastDirection}`;
  const rows = await t.app.services.db.prisma.$queryRawUnsafe<{ id: string }[]>(sql, ...params);
  return rows.map((r) => r.id);
}

function randomFilter(): UserFilter {
  const filter: UserFilter = { ids };
  if (chance(random, 0.3)) filter.search = pick(random, ['ada', 'HOP', 'an', 'o', 'corp', "o'n", 'zoë', 'van r', '.1']);
  if (chance(random, 0.25)) filter.roles = ROLES.filter(() => chance(random, 0.5));
  if (chance(random, 0.25)) filter.isActive = chance(random, 0.5);
  if (chance(random, 0.25)) filter.isEmailVerified = chance(random, 0.5);
  if (chance(random, 0.2)) filter.createdAt = { gte: new Date(BASE + 10 * 86_400_000).toISOString() };
  if (chance(random, 0.2)) filter.lastLoginAt = chance(random, 0.5) ? { isNull: chance(random, 0.5) } : { gte: new Date(BASE + 30 * 86_400_000).toISOString() };
  if (chance(random, 0.15)) filter.deleted = pick(random, ['INCLUDE', 'ONLY'] as const);
  return filter;
}

function randomOrder(): UserOrder[] {
  const fields = Object.keys(COLUMNS) as UserOrder['field'][];
  const n = pick(random, [0, 1, 1, 1, 2, 3]);
  const chosen: UserOrder[] = [];
  while (chosen.length < n) {
    const field = pick(random, fields);
    if (!chosen.some((c) => c.field === field)) chosen.push({ field, direction: pick(random, ['ASC', 'DESC'] as const) });
  }
  return chosen;
}

async function pageAll(filter: UserFilter, orderBy: UserOrder[], size: number, backward: boolean): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 500; guard++) {
    const vars: UserIdsQueryVariables = backward ? { last: size, before: cursor, filter, orderBy } : { first: size, after: cursor, filter, orderBy };
    const page: UserIdsQuery['users'] = (await t.admin.execute(UserIdsDocument, vars)).expectData().users;
    const pageIds = page.edges.map((e) => e.node.id);
    expect(page.edges.length).toBeLessThanOrEqual(size);
    if (backward) seen.unshift(...pageIds);
    else seen.push(...pageIds);
    // pageInfo must agree with where we are.
    if (cursor !== null) expect(backward ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage).toBe(true);
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    if (!more) return seen;
    cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
  throw new Error('paging did not terminate');
}

describe(`users listing vs SQL ground truth (TEST_SEED=${SEED})`, () => {
  it('matches on 40 randomized filter/sort/page-size combinations, forward and backward', async () => {
    for (let i = 0; i < 40; i++) {
      const filter = randomFilter();
      const orderBy = randomOrder();
      const size = pick(random, [1, 3, 7, 20, 100]);
      const backward = chance(random, 0.4);
      const expected = await groundTruth(filter, orderBy);
      const actual = await pageAll(filter, orderBy, size, backward);
      const label = JSON.stringify({ i, filter: { ...filter, ids: `${ids.length} ids` }, orderBy, size, backward });
      expect(actual, label).toEqual(expected);
    }
  }, 180_000);

  it('totalCount equals the ground-truth count and is only computed when selected', async () => {
    const filter: UserFilter = { ids, isActive: true };
    const expected = await groundTruth(filter, []);
    const result = (await t.admin.execute(UsersWithCountDocument, { first: 5, filter })).expectData();
    expect(result.users.totalCount).toBe(expected.length);

    // Background jobs (outbox relay poll, suspension expiry) would add their queries to the count.
    await t.app.services.stop();
    const db = t.app.services.db;
    const before = db.queryCount;
    (await t.admin.execute(UserIdsDocument, { first: 5, filter })).expectData();
    expect(db.queryCount - before).toBe(1);
  });

  it('runs the hasPreviousPage probe after a cursor only when a client selects it', async () => {
    const filter: UserFilter = { ids };
    const orderBy: UserOrder[] = [{ field: 'EMAIL', direction: 'ASC' }];
    const start = (await t.admin.execute(UserIdsDocument, { first: 5, filter, orderBy })).expectData().users.pageInfo.endCursor;
    // Background jobs (outbox relay poll, suspension expiry) would add their queries to the count.
    await t.app.services.stop();
    const db = t.app.services.db;
    let before = db.queryCount;
    const lean = (await t.admin.execute(UserIdsForwardDocument, { first: 5, after: start, filter, orderBy })).expectData().users;
    expect(db.queryCount - before).toBe(1);
    before = db.queryCount;
    const full = (await t.admin.execute(UserIdsDocument, { first: 5, after: start, filter, orderBy })).expectData().users;
    expect(db.queryCount - before).toBe(2);
    expect(full.pageInfo.hasPreviousPage).toBe(true);
    expect(lean.edges).toEqual(full.edges.map((e) => ({ node: e.node })));
    expect(lean.pageInfo).toEqual({ hasNextPage: full.pageInfo.hasNextPage, endCursor: full.pageInfo.endCursor });
  });

  it('never repeats or skips an existing row while rows are inserted between pages', async () => {
    const filter: UserFilter = { ids: [...ids] };
    const expected = new Set(await groundTruth(filter, [{ field: 'EMAIL', direction: 'ASC' }]));
    const newIds = Array.from({ length: 30 }, () => randomUUID());
    filter.ids = [...ids, ...newIds];
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    for (;;) {
      const page: UserIdsQuery['users'] = (await t.admin.execute(UserIdsDocument, { first: 10, after: cursor, filter, orderBy: [{ field: 'EMAIL', direction: 'ASC' }] })).expectData().users;
      seen.push(...page.edges.map((e) => e.node.id));
      // Insert rows that sort before, between and after the current position.
      const batch = newIds.slice(inserted, inserted + 5);
      inserted += batch.length;
      if (batch.length) {
        await t.app.services.db.prisma.user.createMany({
          data: batch.map((id, k) => ({ id, email: `${pick(random, ['a', 'm', 'z'])}${k}-${id.slice(0, 8)}@insert.test` })),
        });
      }
      if (!page.pageInfo.hasNextPage) break;
      cursor = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of expected) expect(seen).toContain(id);
  });
});

describe('listing arguments', () => {
  it('refuses a cursor from one sort under another with BAD_USER_INPUT', async () => {
    const page = (await t.admin.execute(UserIdsDocument, { first: 2, filter: { ids }, orderBy: [{ field: 'EMAIL', direction: 'ASC' }] })).expectData().users;
    const result = await t.admin.execute(UserIdsDocument, { first: 2, after: page.pageInfo.endCursor, filter: { ids }, orderBy: [{ field: 'NAME', direction: 'ASC' }] });
    expect(result.expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field).toBe('after');
  });

  it('refuses garbage cursors, bad page sizes and too many ids with BAD_USER_INPUT', async () => {
    (await t.admin.execute(UserIdsDocument, { first: 2, after: 'garbage' })).expectError('BAD_USER_INPUT');
    for (const first of [0, -1, 101]) {
      const error = (await t.admin.execute(UserIdsDocument, { first })).expectError('BAD_USER_INPUT');
      expect(error.extensions?.fields?.[0]?.field).toBe('first');
    }
    (await t.admin.execute(UserIdsDocument, { last: 500 })).expectError('BAD_USER_INPUT');
    (await t.admin.execute(UserIdsDocument, { first: 1, last: 1 })).expectError('BAD_USER_INPUT');
    const tooMany = Array.from({ length: 1001 }, () => randomUUID());
    const error = (await t.admin.execute(UserIdsDocument, { filter: { ids: tooMany } })).expectError('BAD_USER_INPUT');
    expect(error.extensions?.fields?.[0]?.field).toBe('filter.ids');
    (await t.admin.execute(UserIdsDocument, { filter: { ids: ['x'] } })).expectError('BAD_USER_INPUT');
    (await t.admin.execute(UserIdsDocument, { orderBy: [{ field: 'EMAIL', direction: 'ASC' }, { field: 'EMAIL', direction: 'DESC' }] })).expectError('BAD_USER_INPUT');
  });

  it('defaults to 20 rows, newest first', async () => {
    const page = (await t.admin.execute(UserIdsDocument, { filter: { ids } })).expectData().users;
    expect(page.edges).toHaveLength(20);
    expect(page.edges.map((e) => e.node.id)).toEqual((await groundTruth({ ids }, [])).slice(0, 20));
  });

  it('treats search wildcards literally', async () => {
    const page = (await t.admin.execute(UserIdsDocument, { filter: { ids, search: '%' } })).expectData().users;
    expect(page.edges).toHaveLength(0);
  });

  it('lets only ADMIN see deleted users; VIEWER reads the rest; USER is refused', async () => {
    const viewer = await clientFor(t.admin, 'VIEWER');
    (await viewer.client.execute(UserIdsDocument, { first: 1, filter: { ids } })).expectData();
    (await viewer.client.execute(UserIdsDocument, { first: 1, filter: { ids, deleted: 'INCLUDE' } })).expectError('FORBIDDEN');
    (await viewer.client.execute(UserIdsDocument, { first: 1, filter: { ids, deleted: 'ONLY' } })).expectError('FORBIDDEN');
    const user = await clientFor(t.admin, 'USER');
    (await user.client.execute(UserIdsDocument, { first: 1 })).expectError('FORBIDDEN');
    const onlyDeleted = (await t.admin.execute(UserIdsDocument, { first: 100, filter: { ids, deleted: 'ONLY' } })).expectData().users;
    expect(onlyDeleted.edges.map((e) => e.node.id).sort()).toEqual((await groundTruth({ ids, deleted: 'ONLY' }, [])).sort());
  });
});
