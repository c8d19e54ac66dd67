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
import { TrustedDocuments } from './http/operation.gate.js';
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
  /** Runs last in stop(), after the database closed (main.ts: flush the traces). */
  onStopped?: () => Promise<void>;
}

export async function startApp(config: Config, overrides: StartOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.logLevel);
  let origin = 'http://localhost';
  const phases = startPhases();
  const db = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolSize: config.database.poolSize,
    preparedStatements: config.database.preparedStatements,
    countQueries: overrides.countQueries ?? false,
    loadDataDir: overrides.databaseImage,
    onPoolError: (error) => log.warn({ err: error }, 'an idle database connection failed; the pool replaces it'),
  });
  phases.mark('database');
  let started: Services | undefined;
  try {
    if (config.database.migrateOnStart) {
      const { applied } = await applyMigrations(db, { log: (msg) => log.debug(msg) });
      if (applied.length) log.info({ applied }, 'applied migrations');
    }
    phases.mark('migrations');
    const services = createServices({
      db,
      jwt: {
        secret: config.auth.jwtSecret ?? embeddedJwtSecret(config.database.dataDir, log),
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        ttlSeconds: config.auth.accessTokenTtlSeconds,
        refreshTtlSeconds: config.auth.refreshTokenTtlSeconds,
        jwksUrl: config.auth.jwksUrl,
      },
      bcryptCost: config.auth.bcryptCost,
      loginThrottle: config.auth.loginThrottle,
      loginHistoryDays: config.auth.loginHistoryDays,
      log,
      redisUrl: config.redisUrl,
      limits: config.limits,
      tuning: config.tuning,
      // Export links point at PUBLIC_URL, else where the client reached us (the Host it used,
      // or X-Forwarded-Proto/Host from a TRUST_PROXY proxy), never at the bind address.
      exportBaseUrl: (requestOrigin) => config.publicUrl ?? requestOrigin ?? origin,
      deletedUserRetentionDays: config.deletedUserRetentionDays,
      userEventsRetentionDays: config.userEventsRetentionDays,
      webhooks: config.webhooks,
      ...(overrides.clock ? { clock: overrides.clock } : {}),
    });
    phases.mark('services');
    const admin = await services.auth.bootstrapAdmin(config.bootstrapAdmin, !config.database.url, log);
    if (admin?.generatedPassword) {
      // Printed once, to stdout, so the person starting the server can log in.
      process.stdout.write(
        `\nCreated the first admin: ${admin.email} / ${admin.generatedPassword}\n` +
          'Log in with the login mutation; this password is not shown again.\n\n',
      );
    }
    phases.mark('admin');
    // The outbox relay (events to subscribers) and the suspension expiry timer.
    await services.start();
    started = services;
    phases.mark('relay');
    const schema = await createSchema();
    phases.mark('schema');
    const server = await startServer(
      { schema, services, log, introspection: config.introspection, uploadMaxBytes: config.limits.uploadMaxBytes,
        cors: config.cors,
        operationLimits: config.operationLimits,
        trustedDocuments: config.trustedDocuments ? TrustedDocuments.load(config.trustedDocuments) : undefined,
        production: config.production,
        rateLimits: config.rateLimits,
        redisUrl: config.redisUrl,
        trustProxy: config.trustProxy,
        metricsToken: config.metricsToken,
      },
      config.port,
      config.host,
    );
    origin = new URL(server.url).origin;
    phases.mark('server');
    // Where the start went, for `npm run bench -- start` and anyone asking why a start was slow.
    log.info({ url: server.url, database: db.kind, startMs: phases.wall(), startCpuMs: phases.cpu() }, 'users service ready');
    let stopping: Promise<void> | undefined;
    return {
      config,
      services,
      server,
      log,
      stop: () =>
        (stopping ??= shutdown(server, db, log, services, config.shutdownDelayMs).then(async () => {
          await overrides.onStopped?.();
        })),
    };
  } catch (error) {
    await started?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Milliseconds each start-up phase took since the process began (so module loading shows too):
 * wall time, and the process's CPU time (all threads), which a busy machine inflates far less.
 */
function startPhases(): { mark(name: string): void; wall(): Record<string, number>; cpu(): Record<string, number> } {
  const cpuNow = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const wall: Record<string, number> = { modules: Math.round(performance.now()) };
  const cpu: Record<string, number> = { modules: Math.round(cpuNow()) };
  let lastWall = performance.now();
  let lastCpu = cpuNow();
  return {
    mark(name) {
      const [nowWall, nowCpu] = [performance.now(), cpuNow()];
      wall[name] = Math.round(nowWall - lastWall);
      cpu[name] = Math.round(nowCpu - lastCpu);
      [lastWall, lastCpu] = [nowWall, nowCpu];
    },
    wall: () => ({ ...wall, total: Math.round(performance.now()) }),
    cpu: () => ({ ...cpu, total: Math.round(cpuNow()) }),
  };
}

async function shutdown(server: RunningServer, db: Database, log: Logger, services: Services, delayMs: number): Promise<void> {
  server.beginDrain();
  if (delayMs > 0) {
    log.info({ delayMs }, 'shutting down: /readyz answers 503, still serving while load balancers notice');
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
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
