// Starts the whole service from a Config: database, migrations, services, first admin, server.
// main.ts calls this; tests call it too, so they exercise the same start-up path.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { createLogger, type Logger } from './logger.js';
import { createSchema } from './schema.js';
import { startServer, type RunningServer } from './http/server.js';
import { createServices, type Services } from './services.js';
import type { Clock } from './clock.js';

export interface App {
  config: Config;
  services: Services;
  server: RunningServer;
  log: Logger;
  /** Drain requests, close sockets, close the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOverrides {
  log?: Logger;
  clock?: Clock;
  countQueries?: boolean;
  /** Embedded database only: start from this data directory image (tests: a migrated copy). */
  databaseImage?: Blob;
}

export async function startApp(config: Config, overrides: StartOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.logLevel);
  let origin = 'http://localhost';
  const db = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolSize: config.database.poolSize,
    countQueries: overrides.countQueries ?? false,
    loadDataDir: overrides.databaseImage,
  });
  let started: Services | undefined;
  try {
    if (config.database.migrateOnStart) {
      const { applied } = await applyMigrations(db, { log: (msg) => log.debug(msg) });
      if (applied.length) log.info({ applied }, 'applied migrations');
    }
    const services = createServices({
      db,
      jwt: {
        secret: config.auth.jwtSecret ?? embeddedJwtSecret(config.database.dataDir, log),
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        ttlSeconds: config.auth.accessTokenTtlSeconds,
        jwksUrl: config.auth.jwksUrl,
      },
      bcryptCost: config.auth.bcryptCost,
      log,
      redisUrl: config.redisUrl,
      limits: config.limits,
      tuning: config.tuning,
      deletedUserRetentionDays: config.deletedUserRetentionDays,
      userEventsRetentionDays: config.userEventsRetentionDays,
      // Export links point at PUBLIC_URL, or at this server once it listens.
      exportBaseUrl: () => config.publicUrl ?? origin,
      ...(overrides.clock ? { clock: overrides.clock } : {}),
    });
    const admin = await services.auth.bootstrapAdmin(config.bootstrapAdmin, !config.database.url, log);
    if (admin?.generatedPassword) {
      // Printed once, to stdout, so the person starting the server can log in.
      process.stdout.write(
        `\nCreated the first admin: ${admin.email} / ${admin.generatedPassword}\n` +
          'Log in with the login mutation; this password is not shown again.\n\n',
      );
    }
    // The outbox relay (events to subscribers) and the suspension expiry timer.
    await services.start();
    started = services;
    const schema = await createSchema();
    const server = await startServer(
      { schema, services, log, introspection: config.introspection, uploadMaxBytes: config.limits.uploadMaxBytes },
      config.port,
      config.host,
    );
    origin = new URL(server.url).origin;
    log.info({ url: server.url, database: db.kind }, 'users service ready');
    let stopping: Promise<void> | undefined;
    return {
      config,
      services,
      server,
      log,
      stop: () => (stopping ??= shutdown(server, db, log, services)),
    };
  } catch (error) {
    await started?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function shutdown(server: RunningServer, db: Database, log: Logger, services: Services): Promise<void> {
  // Running imports stop after their current chunk (and record it) before requests drain:
  // an import that a client waits on would otherwise hold the drain for its whole length.
  await services.imports.close();
  log.info('shutting down: draining requests');
  await server.stop();
  await services.stop();
  await db.close();
  log.info('stopped');
}

/** HS256 secret for the embedded default: generated once, kept beside the data. */
function embeddedJwtSecret(dataDir: string, log: Logger): string {
  if (dataDir.startsWith('memory://')) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  log.info({ file }, 'generated a JWT secret for the embedded database');
  return secret;
}
