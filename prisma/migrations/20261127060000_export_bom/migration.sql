-- CSV exports may start with a UTF-8 byte order mark (for Excel).
ALTER TABLE "user_exports" ADD COLUMN "bom" BOOLEAN NOT NULL DEFAULT false;
