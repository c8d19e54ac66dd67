// Bulk-generates realistic users inside the database (generate_series), so a million rows
// take seconds instead of a million round trips. Used by `npm run seed` and the benchmarks.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { rowsOf } from '../../db/rows.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Zoë', 'Émile', 'Hedy', 'John', 'Radia',
  'Donald', 'Frances', 'Tim', 'Shafi', 'Niklaus', 'Anita', 'Guido', 'Yukihiro', 'Sophie', 'Mohammed', 'Wei', 'Priya', 'Olga', 'Kwame',
  'Lucía', 'Hiroshi', 'Aisha', 'Mateo', 'Ingrid', 'Tariq', 'Chen', 'Fatima', 'Lars', 'Nia', 'Pablo', 'Yara', 'Dmitri'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds', "O'Neil", 'van Rossum',
  'Lamarr', 'McCarthy', 'Perlman', 'Knuth', 'Allen', 'Berners-Lee', 'Goldwasser', 'Wirth', 'Borg', 'Matsumoto', 'Wilson', 'Haddad',
  'Zhang', 'Patel', 'Ivanova', 'Mensah', 'García', 'Tanaka', 'Okafor', 'Rossi', 'Nilsson', 'Kowalski', 'Müller', 'Dubois', 'Silva',
  'Kim', 'Nguyen', 'Johansson', 'Schmidt', 'Novak'];
const DOMAINS = ['example.com', 'mail.test', 'corp.example', 'uni.example.edu', 'startup.io', 'gmail.test', 'outlook.test', 'company.co.uk'];

type Db = PrismaClient | Prisma.TransactionClient;

const indexRows = rowsOf('secondary indexes', z.object({ name: z.string(), definition: z.string() }));

export class SeedRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Inserts `total` users in batches. For large loads the secondary indexes are dropped and
   * rebuilt afterwards, all in one transaction (so a failure leaves the table as it was):
   * maintaining a trigram GIN index row by row costs several times more than building it once.
   * The table is locked against writes meanwhile: this is a tool for empty or test databases.
   */
  async seed(tag: string, total: number, batch: number, passwordHash: string | null, onProgress: (done: number) => void): Promise<void> {
    const rebuild = total >= 50_000;
    await this.prisma.$transaction(
      async (tx) => {
        const indexes = rebuild ? await this.dropSecondaryIndexes(tx) : [];
        for (let offset = 0; offset < total; offset += batch) {
          const n = Math.min(batch, total - offset);
          await this.insertBatch(tx, tag, offset, n, passwordHash);
          onProgress(offset + n);
        }
        if (indexes.length) await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '512MB'`);
        for (const definition of indexes) await tx.$executeRawUnsafe(definition);
      },
      { timeout: 30 * 60_000, maxWait: 60_000 },
    );
  }

  /** Drops every index on users except the primary key and the live-email uniqueness. */
  private async dropSecondaryIndexes(tx: Db): Promise<string[]> {
    const rows = indexRows(
      await tx.$queryRaw`
      SELECT indexname AS name, indexdef AS definition FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'users' AND indexname NOT IN ('users_pkey', 'users_email_live_key')`,
    );
    for (const row of rows) await tx.$executeRawUnsafe(`DROP INDEX "${row.name.replace(/"/g, '""')}"`);
    return rows.map((r) => r.definition);
  }

  /**
   * Inserts `count` users numbered from `offset`, tagged `tag` in their email so several runs
   * never collide. ~3% deleted, ~8% inactive, ~25% unverified, ~15% never logged in, ~1% ADMIN,
   * ~4% VIEWER; created over the last five years. Attributes: a plan (60% free, 25% pro, 12% team,
   * 3% enterprise), one of 10,000 tenants, a seat count 1-100, and a beta flag on 5%.
   */
  private async insertBatch(db: Db, tag: string, offset: number, count: number, passwordHash: string | null): Promise<void> {
    const first = Prisma.sql`${FIRST}::text[]`;
    const last = Prisma.sql`${LAST}::text[]`;
    const domains = Prisma.sql`${DOMAINS}::text[]`;
    await db.$executeRaw`
      INSERT INTO users (id, email, password_hash, name, first_name, last_name, role, is_active, is_email_verified,
                         created_at, updated_at, last_login_at, deleted_at, version, attributes)
      SELECT gen_random_uuid(),
             lower(fn) || '.' || lower(replace(replace(ln, ' ', ''), '''', '')) || '.' || n || '.' || ${tag} || '@' || dom,
             ${passwordHash}, fn || ' ' || ln, fn, ln,
             (CASE WHEN r1 < 0.01 THEN 'ADMIN' WHEN r1 < 0.05 THEN 'VIEWER' ELSE 'USER' END)::"Role",
             r2 >= 0.08, r3 >= 0.25,
             created, created + (r4 * interval '200 days'),
             CASE WHEN r5 < 0.15 THEN NULL ELSE created + (r5 * interval '400 days') END,
             CASE WHEN r6 < 0.03 THEN created + interval '30 days' ELSE NULL END,
             1,
             jsonb_build_object(
               'plan', CASE WHEN r7 < 0.60 THEN 'free' WHEN r7 < 0.85 THEN 'pro' WHEN r7 < 0.97 THEN 'team' ELSE 'enterprise' END,
               'tenantId', 't-' || floor(r8 * 10000)::int,
               'seats', 1 + floor(r9 * 100)::int)
               || CASE WHEN r9 < 0.05 THEN '{"flags": {"beta": true}}'::jsonb ELSE '{}'::jsonb END
      FROM (
        SELECT n,
               (${first})[1 + floor(random() * ${FIRST.length})::int] AS fn,
               (${last})[1 + floor(random() * ${LAST.length})::int] AS ln,
               (${domains})[1 + floor(random() * ${DOMAINS.length})::int] AS dom,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
               random() AS r7, random() AS r8, random() AS r9,
               now() - random() * interval '5 years' AS created
        FROM generate_series(${offset}::int, ${offset + count - 1}::int) AS n
      ) g`;
  }

  /** Statistics for the planner, and the visibility map that index-only scans (counts) need. */
  async analyze(): Promise<void> {
    await this.prisma.$executeRawUnsafe('VACUUM ANALYZE users');
  }
}
