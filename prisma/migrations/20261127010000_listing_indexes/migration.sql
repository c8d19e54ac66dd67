-- Indexes behind every documented sort of the users listing (issue: finding users at a million).

-- CreateIndex
CREATE INDEX "users_updated_at_id_idx" ON "users"("updated_at", "id");

-- CreateIndex
CREATE INDEX "users_email_id_idx" ON "users"("email", "id");

-- CreateIndex
CREATE INDEX "users_name_id_idx" ON "users"("name", "id");

-- CreateIndex
CREATE INDEX "users_last_name_id_idx" ON "users"("last_name", "id");

-- CreateIndex
CREATE INDEX "users_last_login_at_id_idx" ON "users"("last_login_at", "id");

-- sql-only: everything below this line is hand-written. Prisma's schema language cannot express
-- extensions used by an expression index, so schema.prisma does not list it and
-- createMigrationSql (src/db/migrate.ts) keeps it out of later diffs.

-- Substring search over email, name, first and last name: one trigram GIN index over the
-- fields joined by chr(31) (a unit separator nobody types), so a term cannot match across two
-- fields. src/users/listing/listing.sql.ts SEARCH_EXPRESSION must stay identical to this.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "users_search_trgm_idx" ON "users" USING gin (
  (email || chr(31) || coalesce(name, '') || chr(31) || coalesce(first_name, '') || chr(31) || coalesce(last_name, '')) gin_trgm_ops
);
