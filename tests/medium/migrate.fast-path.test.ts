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
