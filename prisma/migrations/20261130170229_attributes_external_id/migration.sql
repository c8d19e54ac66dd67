-- AlterTable
ALTER TABLE "users" ADD COLUMN     "attributes" JSONB,
ADD COLUMN     "external_id" VARCHAR(255);

-- sql-only: everything below this line is hand-written (a GIN index, a partial unique index and
-- a function; see createMigrationSql in src/db/migrate.ts).

-- Attribute filters (listing.sql.ts attributeCondition) use @> (eq, in) and @? (exists), which
-- the default jsonb_ops GIN operator class serves.
CREATE INDEX "users_attributes_gin_idx" ON "users" USING gin ("attributes");

-- An external id names one live user; a deleted user's id may be given to a new one, as its email may.
CREATE UNIQUE INDEX "users_external_id_live_key" ON "users" ("external_id") WHERE "deleted_at" IS NULL AND "external_id" IS NOT NULL;

-- RFC 7396 JSON merge patch: what an UPSERT import does with a row's attributes cell (the JS
-- twin, mergePatch in src/users/user.attributes.ts, serves patchUserAttributes).
CREATE OR REPLACE FUNCTION users_json_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  result jsonb;
  k text;
  v jsonb;
BEGIN
  IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
    RETURN patch;
  END IF;
  result := CASE WHEN target IS NOT NULL AND jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
  FOR k, v IN SELECT * FROM jsonb_each(patch) LOOP
    IF jsonb_typeof(v) = 'null' THEN
      result := result - k;
    ELSE
      result := jsonb_set(result, ARRAY[k], users_json_merge_patch(result -> k, v), true);
    END IF;
  END LOOP;
  RETURN result;
END;
$$;
