-- CSV import and export of users (issue 5). Generated with createMigrationSql, keeping only the
-- UserImport, UserImportError and UserExport models.

-- CreateEnum
CREATE TYPE "UserImportStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "UserImportMode" AS ENUM ('INSERT', 'UPSERT', 'SKIP_EXISTING');

-- CreateTable
CREATE TABLE "user_imports" (
    "id" UUID NOT NULL,
    "status" "UserImportStatus" NOT NULL DEFAULT 'RUNNING',
    "filename" VARCHAR(255) NOT NULL,
    "mode" "UserImportMode" NOT NULL,
    "dry_run" BOOLEAN NOT NULL,
    "total_rows" INTEGER NOT NULL DEFAULT 0,
    "processed_rows" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "last_committed_row" INTEGER NOT NULL DEFAULT 1,
    "failure_code" VARCHAR(64),
    "failure_message" VARCHAR(2000),
    "cancel_requested_at" TIMESTAMPTZ(3),
    "started_by_id" VARCHAR(255),
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_imports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_import_errors" (
    "import_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "row" INTEGER NOT NULL,
    "email" VARCHAR(255),
    "field" VARCHAR(64) NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "message" VARCHAR(1000) NOT NULL,

    CONSTRAINT "user_import_errors_pkey" PRIMARY KEY ("import_id","seq")
);

-- CreateTable
CREATE TABLE "user_exports" (
    "id" UUID NOT NULL,
    "format" VARCHAR(16) NOT NULL,
    "fields" TEXT[],
    "filter" JSONB NOT NULL,
    "created_by_id" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "user_imports_started_at_idx" ON "user_imports"("started_at" DESC);

-- AddForeignKey
ALTER TABLE "user_import_errors" ADD CONSTRAINT "user_import_errors_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "user_imports"("id") ON DELETE CASCADE ON UPDATE CASCADE;
