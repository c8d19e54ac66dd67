-- AlterTable
ALTER TABLE "users" ADD COLUMN     "erased_at" TIMESTAMPTZ(3);

-- sql-only: everything below this line is hand-written (a partial index; see createMigrationSql
-- in src/db/migrate.ts).

-- The retention job looks for users deleted before a cutoff and not erased yet: a few percent of
-- the table, oldest first.
CREATE INDEX "users_deleted_unerased_idx" ON "users" ("deleted_at") WHERE "deleted_at" IS NOT NULL AND "erased_at" IS NULL;
