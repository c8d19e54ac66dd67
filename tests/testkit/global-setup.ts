// Runs once per `npm test`. Migrations run here, once, never per test file:
// - PostgreSQL (TEST_DATABASE_URL): a template database is created and migrated; the run's shared
//   database and every isolated one are copies of it (CREATE DATABASE … TEMPLATE), all dropped
//   at the end.
// - PGlite: one in-memory database is migrated and its data directory dumped to a file; every
//   test file starts its own PGlite from that image (loadDataDir), which skips initdb and the
//   migrations (about 2 s of CPU per file, which on a loaded 2-core machine pushed beforeAll
//   hooks past their timeout).
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { createScratchDatabase } from '../../devkit/scratch-database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Tests that run the server or the CLI as a user does spawn dist/: compile it once, here, when a
  // source changed (never twice at once from two test files).
  execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'users-test-image-'));
    const image = join(dir, 'pglite.tar');
    const db = await openDatabase({ dataDir: 'memory://' });
    await applyMigrations(db);
    writeFileSync(image, new Uint8Array(await (await db.dumpDataDir!()).arrayBuffer()));
    await db.close();
    project.provide('databaseUrl', '');
    project.provide('templateDatabase', '');
    project.provide('pgliteImage', image);
    return () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  }
  const template = await createScratchDatabase(serverUrl, 'users_test_template');
  const db = await openDatabase({ url: template.url, dataDir: 'unused' });
  await applyMigrations(db);
  await db.close();
  const shared = await createScratchDatabase(serverUrl, 'users_test', template.name);
  project.provide('databaseUrl', shared.url);
  project.provide('templateDatabase', template.name);
  project.provide('pgliteImage', '');
  return async () => {
    await shared.drop();
    await template.drop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared PostgreSQL database; '' on PGlite. */
    databaseUrl: string;
    /** The migrated template every PostgreSQL test database is copied from; '' on PGlite. */
    templateDatabase: string;
    /** A migrated PGlite data directory, dumped; '' on PostgreSQL. */
    pgliteImage: string;
  }
}
