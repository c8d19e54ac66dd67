// Starts the real service (real HTTP server, real database) for one test file.
import { inject } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createScratchDatabase } from '../../src/devkit/scratch-database.js';
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

/**
 * Starts the service for a test file. `isolated: true` gives it a database of its own (a new
 * PostgreSQL database, dropped on stop; PGlite apps are always isolated), for tests that assert
 * on whole-table figures such as userStats.
 */
export async function startTestApp(
  options: { env?: Record<string, string>; clock?: Clock; isolated?: boolean; log?: { level: string; write: (line: string) => void } } = {},
): Promise<TestApp> {
  const shared = databaseUrl();
  const own = shared && options.isolated ? await createScratchDatabase(shared, 'users_test_iso') : undefined;
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
    ...(url ? { DATABASE_URL: url, MIGRATE_ON_START: own ? 'true' : 'false' } : { DATA_DIR: 'memory://' }),
    ...options.env,
  });
  const app = await startApp(config, {
    // `log`: every log line goes to the test (at the level it asks for) instead of stdout.
    log: options.log ? createLogger(options.log.level, { write: options.log.write }) : createLogger(config.logLevel),
    countQueries: true,
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
