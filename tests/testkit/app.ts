// Starts the real service (real HTTP server, real database) for one test file.
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createScratchDatabase } from '../../devkit/scratch-database.js';
import { createLogger } from '../../src/logger.js';
import type { Clock } from '../../src/clock.js';
import { GraphQLClient } from './graphql.js';

export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'admin-password-1';

export interface TestApp {
  app: App;
  url: string;
  wsUrl: string;
  /** Client with an admin token. */
  admin: GraphQLClient;
  /** Client without a token. */
  anonymous: GraphQLClient;
  stop(): Promise<void>;
}

export function databaseUrl(): string | undefined {
  return inject('databaseUrl') || undefined;
}

let image: Blob | undefined;

/** The migrated PGlite image global-setup built for this run (read once per test file). */
function pgliteImage(): Blob {
  image ??= new Blob([readFileSync(inject('pgliteImage'))]);
  return image;
}

/** A PostgreSQL database of its own, copied from the run's migrated template (dropped by `drop`). */
export function isolatedDatabase(prefix = 'users_test_iso'): ReturnType<typeof createScratchDatabase> {
  return createScratchDatabase(databaseUrl()!, prefix, inject('templateDatabase'));
}

/**
 * A migrated database for tests that use the services without HTTP (tests/medium): the run's
 * shared PostgreSQL database, or a fresh in-memory PGlite from the run's image.
 */
export function openTestDatabase(): Promise<Database> {
  const url = databaseUrl();
  return url ? openDatabase({ url, dataDir: 'unused' }) : openDatabase({ dataDir: 'memory://', loadDataDir: pgliteImage() });
}

/** Like openTestDatabase, but a database of its own (PGlite's always is); `drop` removes it. */
export async function openIsolatedTestDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (!databaseUrl()) {
    const db = await openTestDatabase();
    return { db, drop: () => db.close() };
  }
  const own = await isolatedDatabase();
  const db = await openDatabase({ url: own.url, dataDir: 'unused' });
  return {
    db,
    drop: async () => {
      await db.close();
      await own.drop();
    },
  };
}

/**
 * Starts the service for a test file. `isolated: true` gives it a database of its own (a new
 * PostgreSQL database, dropped on stop; PGlite apps are always isolated), for tests that assert
 * on whole-table figures such as userStats.
 */
export async function startTestApp(
  options: { env?: Record<string, string>; clock?: Clock; isolated?: boolean; log?: { level: string; write: (line: string) => void } } = {},
): Promise<TestApp> {
  const shared = databaseUrl();
  const own = shared && options.isolated ? await isolatedDatabase() : undefined;
  const url = own?.url ?? shared;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    BCRYPT_COST: '4',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    // Every test database is already migrated (see global-setup): start without the check.
    ...(url ? { DATABASE_URL: url } : { DATA_DIR: 'memory://' }),
    MIGRATE_ON_START: 'false',
    // Every test logs in from 127.0.0.1, and on PostgreSQL the counters are shared by the run:
    // the per-IP ceiling is tested with its own database (tests/api/login-throttle.test.ts).
    LOGIN_IP_MAX_FAILURES: '1000000',
    // A test file sends thousands of requests from one address in seconds; rate limits are on
    // where a test asks for them (tests/api/rate-limit.test.ts).
    RATE_LIMIT_POINTS: '0',
    RATE_LIMIT_IP_POINTS: '0',
    SHUTDOWN_DELAY: '0s',
    ...options.env,
  });
  const app = await startApp(config, {
    // `log`: every log line goes to the test (at the level it asks for) instead of stdout.
    log: options.log ? createLogger(options.log.level, { write: options.log.write }) : createLogger(config.logLevel),
    countQueries: true,
    ...(url ? {} : { databaseImage: pgliteImage() }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const httpUrl = app.server.url;
  const anonymous = new GraphQLClient(httpUrl);
  const login = await anonymous.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  return {
    app,
    url: httpUrl,
    wsUrl: httpUrl.replace(/^http/, 'ws'),
    admin: anonymous.withToken(login.accessToken),
    anonymous,
    stop: async () => {
      await app.stop();
      await own?.drop();
    },
  };
}
