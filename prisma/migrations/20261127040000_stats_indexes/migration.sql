-- Indexes that let userStats and filtered totalCount answer from indexes alone (index-only
-- scans), instead of reading every row of the table.

-- sql-only: everything below this line is hand-written. Prisma's schema language cannot express
-- partial indexes with INCLUDE columns, so schema.prisma does not list them and
-- createMigrationSql (src/db/migrate.ts) keeps them out of later diffs.

-- Live users with every column the statistics count by: a narrow copy of the table.
CREATE INDEX "users_live_stats_idx" ON "users" ("created_at")
  INCLUDE ("role", "is_active", "is_email_verified", "last_login_at", "suspended_at", "suspended_until")
  WHERE "deleted_at" IS NULL;

-- Soft-deleted users are few: counting or listing only them should not scan the live ones.
CREATE INDEX "users_deleted_at_idx" ON "users" ("deleted_at") WHERE "deleted_at" IS NOT NULL;
