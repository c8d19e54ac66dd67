// The listing's SQL on a real database, without HTTP: every documented sort and filter has a
// plan that seeks an index rather than reading and sorting the table. The database has 20,000
// generated users (analyzed) and the planner is told a sequential scan is expensive, so a plan
// without the index here means the query's shape cannot use it at a million rows either.
// (`npm run bench -- list` prints the same plans on a million users.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { SORT_FIELDS, type PageRequest, type SortKey, type UserFilter } from '../../src/users/listing/listing.model.js';
import { UsersRepository } from '../../src/users/user.repository.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';

let db: Database;
let drop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ db, drop } = await openIsolatedTestDatabase());
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO users (id, email, name, last_name, last_login_at, created_at, updated_at)
    SELECT gen_random_uuid(), 'shape' || i || '@example.test',
           CASE WHEN i % 7 = 0 THEN NULL ELSE 'Name ' || (i % 997) END,
           CASE WHEN i % 5 = 0 THEN NULL ELSE 'Last ' || (i % 991) END,
           CASE WHEN i % 3 = 0 THEN NULL ELSE now() - (i || ' minutes')::interval END,
           now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval
    FROM generate_series(1, 20000) AS i`);
  await db.prisma.$executeRawUnsafe('ANALYZE users');
});
afterAll(async () => {
  await drop?.();
});

async function plan(filter: UserFilter, order: SortKey[], from?: PageRequest['from']): Promise<string> {
  const request: PageRequest = { filter: { deleted: 'EXCLUDE', ...filter }, order, limit: 20, backward: false, from };
  return UsersRepository.create(db.prisma).transaction(async (repo, tx) => {
    await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
    return (await repo.explainPage(request, new Date())).join('\n');
  });
}

// The (column, id) btree each sort seeks; createdAt may also use the live-users index, whose
// leading column it is.
const INDEXES: Record<(typeof SORT_FIELDS)[number], RegExp> = {
  CREATED_AT: /users_created_at_id_idx|users_live_stats_idx/,
  UPDATED_AT: /users_updated_at_id_idx/,
  EMAIL: /users_email_id_idx/,
  NAME: /users_name_id_idx/,
  LAST_NAME: /users_last_name_id_idx/,
  LAST_LOGIN_AT: /users_last_login_at_id_idx/,
};
const COLUMN = { CREATED_AT: 'created_at', UPDATED_AT: 'updated_at', EMAIL: 'email', NAME: 'name', LAST_NAME: 'last_name', LAST_LOGIN_AT: 'last_login_at' } as const;

/** Sorting a page's worth of rows (the null/non-null halves of a nullable sort) is fine; sorting the table is not. */
function largestSort(text: string): number {
  return Math.max(0, ...[...text.matchAll(/Sort {2}\(cost=[\d.]+ rows=(\d+)/g)].map((m) => Number(m[1])));
}

/** The position of the 10,000th row in this order: a realistic cursor from the middle of the table. */
async function middle(field: (typeof SORT_FIELDS)[number], direction: 'ASC' | 'DESC'): Promise<NonNullable<PageRequest['from']>> {
  const column = COLUMN[field];
  const [row] = await db.prisma.$queryRawUnsafe<{ v: unknown; id: string }[]>(
    `SELECT ${column} AS v, id::text AS id FROM users WHERE ${column} IS NOT NULL ORDER BY ${column} ${direction}, id ${direction} OFFSET 10000 LIMIT 1`,
  );
  return { values: [row!.v instanceof Date ? row!.v.toISOString() : String(row!.v)], id: row!.id };
}

describe('listing query shapes', () => {
  for (const field of SORT_FIELDS) {
    for (const direction of ['ASC', 'DESC'] as const) {
      it(`${field} ${direction}: the first page and a page from the middle seek the sort's index and sort no more than a page`, async () => {
        const order = [{ field, direction }];
        for (const text of [await plan({}, order), await plan({}, order, await middle(field, direction))]) {
          expect(text).toMatch(INDEXES[field]);
          expect(largestSort(text), text).toBeLessThanOrEqual(42);
        }
      });
    }
  }

  it('search uses the trigram index', async () => {
    expect(await plan({ search: 'lovelace' }, [{ field: 'CREATED_AT', direction: 'DESC' }])).toContain('users_search_trgm_idx');
  });

  it('a selective time range on another column than the sort key sorts its few matches instead of walking the sort index', async () => {
    // 30 minutes of updatedAt (~1,800 of 20,000 users), sorted by email: below SORT_MATCHES_BELOW.
    const now = Date.now();
    const text = await plan({ updatedAt: { gte: new Date(now - 3_600_000), lt: new Date(now - 1_800_000) } }, [{ field: 'EMAIL', direction: 'ASC' }]);
    expect(text).toMatch(/CTE m/);
    expect(text).toMatch(/users_updated_at_id_idx/);
  });
});
