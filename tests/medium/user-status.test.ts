// The derived status is written twice, once in SQL (statusAt, which listings, exports and stats
// filter and count by) and once in JS (userStatus, which the User type, login and updateMe use).
// Here both judge every combination of deleted, suspended (until past, future, exactly now,
// open-ended) and active, on the real database, and must agree.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { Database } from '../../src/db/client.js';
import { isSuspended, statusAt, suspendedAt, userStatus } from '../../src/users/user.columns.js';
import { openTestDatabase } from '../testkit/app.js';

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const at = new Date('2026-05-06T07:08:09.123Z');
const ago = (ms: number) => new Date(at.getTime() - ms);
const later = (ms: number) => new Date(at.getTime() + ms);

interface Case {
  erasedAt: Date | null;
  deletedAt: Date | null;
  suspendedAt: Date | null;
  suspendedUntil: Date | null;
  isActive: boolean;
}

const cases: Case[] = [];
for (const [erasedAt, deletedAt] of [
  [null, null],
  [null, ago(60_000)],
  // Erasure deletes too; an erased row that is not deleted is half-written, still ERASED.
  [ago(1_000), ago(60_000)],
  [ago(1_000), null],
] as const) {
  for (const suspension of [
    { suspendedAt: null, suspendedUntil: null },
    { suspendedAt: ago(3_600_000), suspendedUntil: null },
    { suspendedAt: ago(3_600_000), suspendedUntil: ago(1) },
    { suspendedAt: ago(3_600_000), suspendedUntil: at },
    { suspendedAt: ago(3_600_000), suspendedUntil: later(1) },
    // Cleared by hand or half-written: an end without a start is no suspension.
    { suspendedAt: null, suspendedUntil: later(60_000) },
  ]) {
    for (const isActive of [true, false]) cases.push({ erasedAt, deletedAt, ...suspension, isActive });
  }
}

it('statusAt (SQL) and userStatus (JS) give the same status for every combination', async () => {
  const rows = Prisma.join(
    cases.map(
      (c, i) =>
        Prisma.sql`(${i}::int, ${c.erasedAt}::timestamptz, ${c.deletedAt}::timestamptz, ${c.suspendedAt}::timestamptz, ${c.suspendedUntil}::timestamptz, ${c.isActive}::boolean)`,
    ),
  );
  const atSql = Prisma.sql`${at}::timestamptz`;
  const result = await db.prisma.$queryRaw<{ i: number; status: string; suspended: boolean }[]>`
    SELECT u.i, ${statusAt(atSql)} AS status, (${suspendedAt(atSql)}) AS suspended
    FROM (VALUES ${rows}) AS u(i, erased_at, deleted_at, suspended_at, suspended_until, is_active)
    ORDER BY u.i`;
  expect(result).toHaveLength(cases.length);
  const sql = result.map((r) => ({ status: r.status, suspended: r.suspended }));
  const js = cases.map((c) => ({ status: userStatus(c, at), suspended: isSuspended(c, at) }));
  expect(sql).toEqual(js);
  // The combinations reach every status, so agreeing is not agreeing on one answer.
  expect(new Set(js.map((j) => j.status))).toEqual(new Set(['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED', 'ERASED']));
});
