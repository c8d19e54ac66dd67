-- The suspension expiry job only looks up users whose suspended_until is set
-- (`suspended_until <= now()`, `min(suspended_until)`), which is almost nobody. Indexing only
-- those rows keeps a NULL entry per user out of the index: one btree insert less for every
-- created or imported user.

-- sql-only: everything below this line is hand-written (a partial index; see
-- createMigrationSql in src/db/migrate.ts).
DROP INDEX IF EXISTS "users_suspended_until_idx";
CREATE INDEX "users_suspended_until_idx" ON "users" ("suspended_until") WHERE "suspended_until" IS NOT NULL;
