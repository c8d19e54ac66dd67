// With TEST_DATABASE_URL (a PostgreSQL server URL), each run gets a fresh database created here,
// migrated once, and dropped at the end. Without it, every test file uses in-memory PGlite.
import 'reflect-metadata';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { createScratchDatabase } from '../../src/devkit/scratch-database.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    project.provide('databaseUrl', '');
    return;
  }
  const scratch = await createScratchDatabase(serverUrl, 'users_test');
  const url = scratch.url;
  const db = await openDatabase({ url, dataDir: 'unused' });
  await applyMigrations(db);
  await db.close();
  project.provide('databaseUrl', url);
  return () => scratch.drop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
