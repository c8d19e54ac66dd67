// Every query printed to sql/ by `npm run sql:emit` (devkit/sql-catalogue.ts) is planned by the
// real database: the reviewed files hold SQL the schema accepts, for every shape a builder makes
// (sorts, cursors, nullable splits, formats, import modes), not only those the API tests reach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlCatalogue } from '../../devkit/sql-catalogue.js';
import type { Database } from '../../src/db/client.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { openTestDatabase } from '../testkit/app.js';

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

for (const family of sqlCatalogue()) {
  describe(`sql/${family.file}.sql`, () => {
    for (const query of family.queries) {
      it(`plans: ${query.name}`, async () => {
        // EXPLAIN without ANALYZE runs nothing, so the writes and locks here change no row.
        const explain = /^\s*EXPLAIN/.test(query.sql.text) ? query.sql : Prisma.sql`EXPLAIN ${query.sql}`;
        const plan = await db.prisma.$queryRaw<unknown[]>(explain);
        expect(plan.length).toBeGreaterThan(0);
      });
    }
  });
}
