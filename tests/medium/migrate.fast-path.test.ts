// applyMigrations skips the WebAssembly engine when _prisma_migrations already records every local
// migration unchanged; anything else must still reach the engine: a new folder is applied.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.js';
import { projectRoot } from '../../src/paths.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';

const dir = mkdtempSync(join(tmpdir(), 'users-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('applyMigrations on an up-to-date database', () => {
  it('applies nothing, and still applies a migration folder added since', async () => {
    cpSync(join(projectRoot(), 'prisma', 'migrations'), dir, { recursive: true });
    const { db, drop } = await openIsolatedTestDatabase();
    try {
      expect(await applyMigrations(db, { migrationsDir: dir })).toEqual({ applied: [] });
      const added = '99990101000000_fast_path_probe';
      mkdirSync(join(dir, added));
      writeFileSync(join(dir, added, 'migration.sql'), 'CREATE TABLE fast_path_probe (id integer);\n');
      expect(await applyMigrations(db, { migrationsDir: dir })).toEqual({ applied: [added] });
      expect(await db.prisma.$queryRawUnsafe('SELECT count(*)::int AS n FROM fast_path_probe')).toEqual([{ n: 0 }]);
      expect(await applyMigrations(db, { migrationsDir: dir })).toEqual({ applied: [] });
    } finally {
      await drop();
    }
  }, 120_000);
});

describe('a migration that creates an enum type', () => {
  // The first start on a fresh embedded data dir answered a role filter with `malformed array
  // literal`: PGlite knew no `"Role"[]` when it opened, so it sent the array as text.
  it('can be queried with an array of that enum right after it is applied', async () => {
    const own = mkdtempSync(join(tmpdir(), 'users-migrations-enum-'));
    cpSync(join(projectRoot(), 'prisma', 'migrations'), own, { recursive: true });
    const { db, drop } = await openIsolatedTestDatabase();
    try {
      const added = '99990102000000_enum_probe';
      mkdirSync(join(own, added));
      writeFileSync(
        join(own, added, 'migration.sql'),
        "CREATE TYPE probe_kind AS ENUM ('a', 'b');\nCREATE TABLE enum_probe (k probe_kind);\nINSERT INTO enum_probe VALUES ('a'), ('b'), ('b');\n",
      );
      expect(await applyMigrations(db, { migrationsDir: own })).toEqual({ applied: [added] });
      const kinds = ['b'];
      expect(await db.prisma.$queryRaw`SELECT count(*)::int AS n FROM enum_probe WHERE k = ANY(${kinds}::probe_kind[])`).toEqual([
        { n: 2 },
      ]);
    } finally {
      await drop();
      rmSync(own, { recursive: true, force: true });
    }
  }, 120_000);
});
