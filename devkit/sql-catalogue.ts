// The SQL the repositories' builders produce for a fixed set of representative inputs, one family
// per file under sql/ (see sql-emit.ts). Inputs are fixed (dates, ids, cursors), so the output
// only changes when a builder does: a changed query plan shows up in review as a diff of sql/.
// tests/medium/sql-catalogue.test.ts plans every query here on a real database, so none of them
// is only text. When a builder gains a shape (a new sort, filter, format or statement), add it here.
import type { Prisma } from '../src/generated/prisma/client.js';
import { EXPORT_FORMATS, USER_FIELDS, type KeysetPosition } from '../src/users/export/export.model.js';
import { batchEndQuery, copyLinesQuery, renderedBatchQuery } from '../src/users/export/export.sql.js';
import { writeQueries } from '../src/users/import/user-row.repository.js';
import {
  applyQuery,
  expireSuspensionsQuery,
  lockQuery,
  NEXT_SUSPENSION_END,
  type LifecycleChange,
} from '../src/users/lifecycle/lifecycle.repository.js';
import { SORT_FIELDS, type PageRequest, type SortKey, type UserFilter } from '../src/users/listing/listing.model.js';
import { countQuery, estimateQuery, pageQuery } from '../src/users/listing/listing.sql.js';
import {
  BY_ROLE,
  createdInRangeQuery,
  DELETED_COUNT,
  liveTotalsQuery,
  signupsByDayQuery,
} from '../src/users/stats/stats.repository.js';
import { advanceQuery, claimQuery, failureQuery, LAG_QUERY, NEXT_ATTEMPT_QUERY, renewQuery } from '../src/webhooks/webhook.repository.js';
import { RECORD_FIELDS, type ImportedField } from '../src/users/user.columns.js';
import { liveUserByIdQuery } from '../src/users/user.repository.js';

export interface CataloguedQuery {
  name: string;
  sql: Prisma.Sql;
}

export interface SqlFamily {
  /** File name under sql/, without `.sql`. */
  file: string;
  /** Where the builders live. */
  source: string;
  queries: CataloguedQuery[];
}

const NOW = new Date('2026-06-01T12:00:00.000Z');
const FROM = new Date('2026-05-02T00:00:00.000Z');
const ID = '00000000-0000-4000-8000-000000000001';
const ACTOR = '00000000-0000-4000-8000-0000000000ad';

/** A cursor position for a sort key (what a client's `after`/`before` decodes to). */
function position(field: SortKey['field']): string {
  switch (field) {
    case 'CREATED_AT':
    case 'UPDATED_AT':
    case 'LAST_LOGIN_AT':
      return '2026-05-20T08:30:00.000Z';
    case 'EMAIL':
      return 'grace@example.com';
    case 'NAME':
      return 'Grace Hopper';
    case 'LAST_NAME':
      return 'Hopper';
  }
}

function page(
  order: SortKey[],
  options: { filter?: UserFilter; after?: boolean; backward?: boolean; nullCursor?: boolean } = {},
): PageRequest {
  const from =
    options.after || options.backward
      ? { values: order.map((k) => (options.nullCursor ? null : position(k.field))), id: ID }
      : undefined;
  return { filter: { deleted: 'EXCLUDE', ...options.filter }, order, limit: 20, backward: options.backward ?? false, from };
}

const EVERY_FILTER: UserFilter = {
  search: 'lovelace',
  email: 'ada@example.com',
  ids: [ID],
  roles: ['ADMIN', 'VIEWER'],
  isActive: true,
  isEmailVerified: false,
  createdAt: { gte: new Date('2026-01-01T00:00:00.000Z'), lt: NOW },
  updatedAt: { gte: FROM },
  lastLoginAt: { lt: FROM, isNull: false },
  deleted: 'INCLUDE',
  status: ['ACTIVE', 'SUSPENDED'],
};

function listing(): CataloguedQuery[] {
  const queries: CataloguedQuery[] = [];
  for (const field of SORT_FIELDS) {
    const order: SortKey[] = [{ field, direction: field.endsWith('_AT') ? 'DESC' : 'ASC' }];
    const label = `${field} ${order[0]!.direction}`;
    queries.push({ name: `first page, ${label}`, sql: pageQuery(page(order), NOW) });
    queries.push({ name: `page after a cursor, ${label}`, sql: pageQuery(page(order, { after: true }), NOW) });
  }
  const nullable: SortKey[] = [{ field: 'LAST_NAME', direction: 'ASC' }];
  queries.push({
    name: 'page after a cursor in the null block, LAST_NAME ASC',
    sql: pageQuery(page(nullable, { after: true, nullCursor: true }), NOW),
  });
  queries.push({
    name: 'backward page (last/before), CREATED_AT DESC',
    sql: pageQuery(page([{ field: 'CREATED_AT', direction: 'DESC' }], { backward: true }), NOW),
  });
  queries.push({ name: 'backward page (last/before), LAST_NAME ASC', sql: pageQuery(page(nullable, { backward: true }), NOW) });
  queries.push({
    name: 'backward page from the null block, LAST_NAME ASC',
    sql: pageQuery(page(nullable, { backward: true, nullCursor: true }), NOW),
  });
  const multi: SortKey[] = [
    { field: 'LAST_NAME', direction: 'ASC' },
    { field: 'CREATED_AT', direction: 'DESC' },
  ];
  queries.push({ name: 'first page, LAST_NAME ASC then CREATED_AT DESC', sql: pageQuery(page(multi), NOW) });
  queries.push({
    name: 'page after a cursor, LAST_NAME ASC then CREATED_AT DESC',
    sql: pageQuery(page(multi, { after: true }), NOW),
  });
  const ranged: UserFilter = { updatedAt: { gte: FROM, lt: NOW } };
  const byEmail: SortKey[] = [{ field: 'EMAIL', direction: 'ASC' }];
  queries.push({
    name: 'sort-matches (few matches of a range on another column), first page',
    sql: pageQuery(page(byEmail, { filter: ranged }), NOW, { sortMatches: true }),
  });
  queries.push({
    name: 'sort-matches, page after a cursor',
    sql: pageQuery(page(byEmail, { filter: ranged, after: true }), NOW, { sortMatches: true }),
  });
  queries.push({
    name: 'first page with every filter, CREATED_AT DESC',
    sql: pageQuery(page([{ field: 'CREATED_AT', direction: 'DESC' }], { filter: EVERY_FILTER }), NOW),
  });
  queries.push({
    name: 'deleted users only',
    sql: pageQuery(
      page([{ field: 'CREATED_AT', direction: 'DESC' }], { filter: { deleted: 'ONLY', lastLoginAt: { isNull: true } } }),
      NOW,
    ),
  });
  // A client's selection narrows the select list (fields asked, plus the id and the sort keys).
  const asked = ['email', 'name', 'createdAt'] as const;
  queries.push({
    name: 'first page of the fields asked (email, name, createdAt), CREATED_AT DESC',
    sql: pageQuery(page([{ field: 'CREATED_AT', direction: 'DESC' }]), NOW, { fields: asked }),
  });
  queries.push({ name: 'page after a cursor of the fields asked, LAST_NAME ASC', sql: pageQuery(page(nullable, { after: true }), NOW, { fields: asked }) });
  queries.push({
    name: 'sort-matches of the fields asked, EMAIL ASC',
    sql: pageQuery(page(byEmail, { filter: ranged }), NOW, { sortMatches: true, fields: asked }),
  });
  queries.push({ name: 'totalCount, no filter', sql: countQuery({ deleted: 'EXCLUDE' }, NOW) });
  queries.push({ name: 'totalCount, every filter', sql: countQuery(EVERY_FILTER, NOW) });
  queries.push({ name: 'row estimate before choosing sort-matches', sql: estimateQuery({ deleted: 'EXCLUDE', ...ranged }, NOW) });
  return queries;
}

function exports(): CataloguedQuery[] {
  const filter: UserFilter = { deleted: 'EXCLUDE' };
  const after: KeysetPosition = { createdAt: new Date('2026-03-04T05:06:07.089Z'), id: ID };
  const until: KeysetPosition = { createdAt: new Date('2026-04-05T06:07:08.090Z'), id: '00000000-0000-4000-8000-000000000002' };
  const few = ['EMAIL', 'NAME', 'STATUS', 'CREATED_AT'] as const;
  const queries: CataloguedQuery[] = EXPORT_FORMATS.map((format) => ({
    name: `first batch, ${format}, every field`,
    sql: renderedBatchQuery(format, filter, NOW, USER_FIELDS, null, 10_000, null),
  }));
  queries.push({
    name: 'next keyset batch, CSV, a few fields',
    sql: renderedBatchQuery('CSV', filter, NOW, few, after, 10_000, null),
  });
  queries.push({
    name: 'range batch (two renderers), NDJSON, a few fields, filtered',
    sql: renderedBatchQuery('NDJSON', { ...filter, roles: ['VIEWER'] }, NOW, few, after, 10_000, until),
  });
  queries.push({ name: 'batch of no fields, JSON', sql: renderedBatchQuery('JSON', filter, NOW, [], null, 10_000, null) });
  queries.push({
    name: 'batch end, walking the matching users',
    sql: batchEndQuery({ ...filter, roles: ['VIEWER'] }, NOW, after, 10_000, 'matching'),
  });
  queries.push({ name: 'batch end, walking the index alone', sql: batchEndQuery(filter, NOW, null, 10_000, 'all') });
  // PostgreSQL runs it as COPY (…) TO STDOUT WITH (FORMAT binary), its parameters written in as literals.
  queries.push({ name: 'the whole export as one COPY query, NDJSON, a few fields, filtered', sql: copyLinesQuery('NDJSON', { ...filter, roles: ['VIEWER'] }, NOW, few) });
  return queries;
}

function imports(): CataloguedQuery[] {
  // Two rows as ChunkRows holds them (see importRowJson); the parameter stands for a whole chunk.
  const json = JSON.stringify([
    { row: 2, email: 'ada@example.com', name: 'Ada Lovelace', role: 'ADMIN', isActive: true },
    {
      row: 3,
      email: 'grace@example.com',
      firstName: 'Grace',
      passwordHash: '$2b$12$abcdefghijklmnopqrstuu0123456789012345678901234567890',
    },
  ]);
  const queries: CataloguedQuery[] = [];
  const everyColumn = new Set<ImportedField>([
    'email',
    'name',
    'firstName',
    'lastName',
    'phoneNumber',
    'avatarUrl',
    'role',
    'isActive',
    'isEmailVerified',
    'passwordHash',
  ]);
  for (const [label, mode, present] of [
    ['INSERT', 'INSERT', new Set<ImportedField>(['email', 'name'])],
    ['SKIP_EXISTING', 'SKIP_EXISTING', new Set<ImportedField>(['email', 'name'])],
    ['UPSERT, a file of email and name', 'UPSERT', new Set<ImportedField>(['email', 'name'])],
    ['UPSERT, a file of every column', 'UPSERT', everyColumn],
  ] as const) {
    const { update, insert } = writeQueries(json, { mode, present, actorId: ACTOR });
    if (update) queries.push({ name: `${label}: update existing users`, sql: update });
    queries.push({ name: `${label}: insert new users`, sql: insert });
  }
  return queries;
}

function stats(): CataloguedQuery[] {
  return [
    { name: 'live totals', sql: liveTotalsQuery(FROM, NOW, NOW) },
    { name: 'deleted count', sql: DELETED_COUNT },
    { name: 'created in range', sql: createdInRangeQuery(FROM, NOW) },
    { name: 'by role', sql: BY_ROLE },
    { name: 'signups by day', sql: signupsByDayQuery(FROM, NOW) },
  ];
}

function lifecycle(): CataloguedQuery[] {
  const ids = [ID, '00000000-0000-4000-8000-000000000002'];
  const changes: LifecycleChange[] = [
    { kind: 'activate' },
    { kind: 'deactivate' },
    { kind: 'suspend', reason: 'chargeback', until: new Date('2026-07-01T00:00:00.000Z') },
    { kind: 'unsuspend' },
    { kind: 'delete' },
    { kind: 'restore' },
  ];
  return [
    { name: 'lock the rows', sql: lockQuery(ids) },
    ...changes.map((change) => ({ name: `apply: ${change.kind}`, sql: applyQuery(ids, change, ACTOR, NOW, true) })),
    {
      name: "apply: deactivate, within updateUser's new version",
      sql: applyQuery([ID], { kind: 'deactivate' }, ACTOR, NOW, false),
    },
    { name: 'end suspensions whose until has passed', sql: expireSuspensionsQuery(NOW, 500) },
    { name: 'next suspension end', sql: NEXT_SUSPENSION_END },
  ];
}

function webhooks(): CataloguedQuery[] {
  const owner = 'host:1234:abcd1234';
  return [
    { name: 'claim the leases of due endpoints that owe events', sql: claimQuery(owner, 30_000, 8) },
    { name: 'renew a lease', sql: renewQuery(ID, owner, 30_000) },
    { name: 'move the cursor past a delivered event', sql: advanceQuery(ID, owner, 41n, 42n) },
    { name: 'record a failure run and its backoff', sql: failureQuery(ID, owner, 5_000) },
    { name: 'next attempt due', sql: NEXT_ATTEMPT_QUERY },
    { name: 'lag of the oldest owed event', sql: LAG_QUERY },
  ];
}

function lookups(): CataloguedQuery[] {
  return [
    { name: 'user(id) / me, the fields a client selects', sql: liveUserByIdQuery(ID, ['email', 'name', 'createdAt']) },
    { name: 'user(id) / me, every field', sql: liveUserByIdQuery(ID, RECORD_FIELDS) },
  ];
}

export function sqlCatalogue(): SqlFamily[] {
  return [
    { file: 'listing', source: 'src/users/listing/listing.sql.ts', queries: listing() },
    { file: 'user', source: 'src/users/user.repository.ts', queries: lookups() },
    { file: 'export', source: 'src/users/export/export.sql.ts', queries: exports() },
    { file: 'import', source: 'src/users/import/user-row.repository.ts', queries: imports() },
    { file: 'stats', source: 'src/users/stats/stats.repository.ts', queries: stats() },
    { file: 'lifecycle', source: 'src/users/lifecycle/lifecycle.repository.ts', queries: lifecycle() },
    { file: 'webhooks', source: 'src/webhooks/webhook.repository.ts', queries: webhooks() },
  ];
}
