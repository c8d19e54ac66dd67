// Composition root for the domain: plain constructor injection, no container.
// Library users call createServices() to use the domain without GraphQL (then start() to relay
// events and end suspensions, stop() before closing the database).
import { AccessCache, DEFAULT_ACCESS_CACHE, type AccessCacheOptions } from './auth/access.cache.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottle } from './auth/login.throttle.js';
import { LoginHistoryRepository } from './auth/login-history.repository.js';
import { LoginHistoryService } from './auth/login-history.service.js';
import { Redis } from 'ioredis';
import { SessionRepository } from './auth/session.repository.js';
import { SessionService } from './auth/session.service.js';
import { PasswordHasher } from './auth/password.hasher.js';
import { TokenService } from './auth/token.service.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_LIMITS, DEFAULT_LOGIN_HISTORY_DAYS, DEFAULT_LOGIN_THROTTLE, DEFAULT_WEBHOOKS, defaultTuning, type Limits, type LoginThrottleOptions, type Tuning, type WebhookSettings } from './config.js';
import type { Database } from './db/client.js';
import { LocalEventBus } from './events/event.bus.js';
import { EventsService } from './events/event.service.js';
import { OutboxRelay, type RelayOptions } from './events/outbox.relay.js';
import { InProcessTransport, RedisTransport } from './events/event.transport.js';
import { EventRecorder } from './events/user-event.repository.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { LifecycleRepository } from './users/lifecycle/lifecycle.repository.js';
import { LifecycleService } from './users/lifecycle/lifecycle.service.js';
import { ErasureService } from './users/erasure/erasure.service.js';
import { CredentialService } from './users/credential/credential.service.js';
import { SubjectAccessRepository } from './users/subject-access/subject-access.repository.js';
import { SubjectAccessService } from './users/subject-access/subject-access.service.js';
import { DeletedUserRetention } from './users/erasure/retention.job.js';
import { SuspensionExpiry } from './users/lifecycle/suspension-expiry.job.js';
import { userStatus } from './users/user.columns.js';
import { UsersRepository } from './users/user.repository.js';
import { UsersService } from './users/user.service.js';
import { StatsRepository } from './users/stats/stats.repository.js';
import { StatsService } from './users/stats/stats.service.js';
import { ImportsRepository } from './users/import/import.repository.js';
import { ImportService } from './users/import/import.service.js';
import { importProgressBus } from './users/import/import.progress.js';
import { PasswordHashPool } from './users/import/password.pool.js';
import { UserRowsRepository } from './users/import/user-row.repository.js';
import { ExportLinkSigner } from './users/export/export.link.js';
import { ExportsRepository } from './users/export/export.repository.js';
import { ExportService } from './users/export/export.service.js';
import { WebhookDispatcher } from './webhooks/webhook.dispatcher.js';
import { WebhookRepository } from './webhooks/webhook.repository.js';
import { WebhookService } from './webhooks/webhook.service.js';
import { WebhookUrlGuard } from './webhooks/webhook.url-guard.js';

export interface ServicesOptions {
  db: Database;
  /** ttlSeconds: access tokens (ACCESS_TOKEN_TTL); refreshTtlSeconds: sessions (REFRESH_TOKEN_TTL, default 30 days). */
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number; refreshTtlSeconds?: number; jwksUrl?: string | undefined };
  /** LOGIN_HISTORY_DAYS; default DEFAULT_LOGIN_HISTORY_DAYS. */
  loginHistoryDays?: number;
  /** Login throttling (auth/login.throttle.ts); default DEFAULT_LOGIN_THROTTLE. */
  loginThrottle?: LoginThrottleOptions;
  /** The per-user access cache (auth/access.cache.ts). */
  accessCache?: AccessCacheOptions;
  bcryptCost: number;
  clock?: Clock;
  log?: Logger;
  /** Set when several instances share the database: events then travel through Redis. */
  redisUrl?: string | undefined;
  /** CSV import limits (config.limits); default: DEFAULT_LIMITS. */
  limits?: Limits;
  /** Performance knobs (config.tuning); default: defaultTuning for this database. */
  tuning?: Tuning;
  /** Overrides of the relay's tuning, and its name (tests give one a saved position of its own). */
  relay?: Partial<RelayOptions>;
  /**
   * Base of export download links, given the origin the request came to: PUBLIC_URL, else that
   * origin, else the server's own address (known once it listens).
   */
  exportBaseUrl?: (requestOrigin: string | undefined) => string;
  /** Where counters go (default: a registry of its own, never scraped). */
  metrics?: Metrics;
  /** DELETED_USER_RETENTION_DAYS: erase users soft-deleted longer ago; undefined keeps them. */
  deletedUserRetentionDays?: number | undefined;
  /** USER_EVENTS_RETENTION_DAYS: prune relayed events older than this; undefined keeps them. */
  userEventsRetentionDays?: number | undefined;
  /** Outbound webhooks (config.webhooks); default DEFAULT_WEBHOOKS. */
  webhooks?: WebhookSettings;
}

export interface Services {
  db: Database;
  clock: Clock;
  usersRepository: UsersRepository;
  users: UsersService;
  auth: AuthService;
  tokens: TokenService;
  /** Whether a verified token still grants access (checked on every request and message). */
  access: AccessCache;
  sessions: SessionService;
  loginHistory: LoginHistoryService;
  hasher: PasswordHasher;
  stats: StatsService;
  events: EventsService;
  lifecycle: LifecycleService;
  erasure: ErasureService;
  credentials: CredentialService;
  subjectAccess: SubjectAccessService;
  retention: DeletedUserRetention;
  imports: ImportService;
  exports: ExportService;
  webhooks: WebhookService;
  metrics: Metrics;
  /** Starts the outbox relay and the suspension expiry timer. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createServices(options: ServicesOptions): Services {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new Metrics();
  const usersRepository = UsersRepository.create(options.db.prisma);
  const tuning = options.tuning ?? defaultTuning(options.db.kind, { redis: options.redisUrl !== undefined });
  // One bcrypt worker pool for imports and logins (tuning.auth.compareOnWorkers).
  const passwordPool = new PasswordHashPool(options.bcryptCost);
  const hasher = new PasswordHasher(options.bcryptCost, tuning.auth.compareOnWorkers ? passwordPool : undefined);
  const tokens = new TokenService(options.jwt);
  const log = options.log ?? createLogger('silent');
  const bus = new LocalEventBus(log.child({ component: 'events' }));
  const recorder = new EventRecorder(options.db.prisma);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const transport = options.redisUrl ? new RedisTransport(options.redisUrl, log.child({ component: 'redis' })) : new InProcessTransport();
  const relay = new OutboxRelay(recorder, bus, transport, log.child({ component: 'outbox-relay' }), { ...tuning.relay, ...options.relay });
  const events = new EventsService(recorder, bus, relay, clock);
  const lifecycle = new LifecycleService(LifecycleRepository.create(options.db.prisma), events, clock);
  const users = new UsersService(usersRepository, hasher, clock, events, lifecycle);
  const erasure = new ErasureService(options.db.prisma, usersRepository, events, clock);
  const retention = new DeletedUserRetention(options.db.prisma, erasure, events, clock, log.child({ component: 'retention' }), {
    deletedUsers: options.deletedUserRetentionDays,
    events: options.userEventsRetentionDays,
  }, { erased: (n) => metrics.usersErasedByRetention.inc(n), pruned: (n) => metrics.eventsPrunedByRetention.inc(n) });
  const expiry = new SuspensionExpiry(lifecycle, events, clock, log.child({ component: 'suspension-expiry' }));
  // Suspended and deactivated users cannot log in (the status is derived, so it is exact at `until`).
  const sessionRepository = new SessionRepository(options.db.prisma);
  const access = new AccessCache(sessionRepository, clock, options.accessCache ?? DEFAULT_ACCESS_CACHE);
  const loginHistory = new LoginHistoryService(
    new LoginHistoryRepository(options.db.prisma),
    clock,
    options.loginHistoryDays ?? DEFAULT_LOGIN_HISTORY_DAYS,
    log.child({ component: 'login-history' }),
  );
  const sessions = new SessionService(sessionRepository, usersRepository, tokens, events, access, clock, options.jwt.refreshTtlSeconds, loginHistory);
  // Sessions end in the transaction of the change that ends the account's access.
  events.beforeRecord((tx, recorded) => sessions.endSessionsOnAccountChange(tx, recorded));
  // Every delivered event about a user, from any instance, drops what this one cached about them.
  events.onUserEvent('*', (event) => {
    if (event.userId) access.invalidate(event.userId);
  });
  // Throttle counters are shared by every instance: in Redis with REDIS_URL, else in the database.
  const throttleRedis = options.redisUrl ? new Redis(options.redisUrl, { maxRetriesPerRequest: 3, connectionName: 'users-service:throttle' }) : undefined;
  throttleRedis?.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error (login throttle)'));
  const throttle = new LoginThrottle(
    throttleRedis ? { kind: 'redis', client: throttleRedis } : { kind: 'database', client: options.db.prisma },
    options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE,
  );
  const auth = new AuthService(usersRepository, hasher, sessions, clock, lifecycle, (user, now) => userStatus(user, now) === 'ACTIVE', {
    throttle,
    lock: (userId, until) => lifecycle.lockAfterFailedLogins(userId, until),
    log: log.child({ component: 'auth' }),
  }, loginHistory, () => metrics.loginFailures.inc());
  const credentials = new CredentialService(usersRepository, hasher, auth, events, clock);
  const stats = new StatsService(new StatsRepository(options.db.prisma), clock);
  const imports = new ImportService({
    repository: new ImportsRepository(options.db.prisma),
    // INSERT chunks go through COPY on the chunk's own connection (PGlite: its running transaction).
    users: new UserRowsRepository(options.db.copyFrom ? (tx, statement, data) => options.db.copyFrom!(tx, statement, data) : undefined),
    hasher: passwordPool,
    // Progress reaches subscribers on every instance as notices on the events transport.
    bus: importProgressBus(events),
    clock,
    log: log.child({ component: 'import' }),
    maxRows: limits.importMaxRows,
    tuning: tuning.import,
    uploadMaxBytes: limits.uploadMaxBytes,
    // One UserBulkAction (IMPORT) per committed chunk, written in the chunk's own transaction.
    events: {
      chunkCommitted: (tx, e) =>
        events.record(tx, {
          type: 'USER_BULK_ACTION',
          actor: e.actorId,
          payload: { action: 'IMPORT', userIds: [...e.createdIds, ...e.updatedIds] },
        }),
      afterCommit: (recorded) => {
        for (const event of recorded) if (event.type === 'USER_BULK_ACTION') metrics.importRowsCommitted.inc(event.payload.userIds.length);
        events.committed(recorded);
      },
    },
  });
  const exports = new ExportService(
    // PostgreSQL streams an export as one COPY; PGlite renders keyset batches.
    new ExportsRepository(options.db.prisma, options.db.copyTo ? (statement) => options.db.copyTo!(statement) : undefined),
    new ExportLinkSigner(options.jwt.secret, options.jwt.issuer),
    clock,
    options.exportBaseUrl ?? ((requestOrigin) => requestOrigin ?? 'http://localhost:4000'),
    tuning.export,
  );
  const webhookSettings = options.webhooks ?? DEFAULT_WEBHOOKS;
  const webhookRepository = new WebhookRepository(options.db.prisma);
  const webhookGuard = new WebhookUrlGuard({ allowPrivate: webhookSettings.allowPrivate });
  const dispatcher = new WebhookDispatcher(webhookRepository, recorder, events, webhookGuard, webhookSettings, clock, log.child({ component: 'webhooks' }), {
    attempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
    disabled: () => metrics.webhooksDisabled.inc(),
  });
  const webhooks = new WebhookService(webhookRepository, recorder, events, webhookGuard, dispatcher, clock);
  metrics.onScrape(async () => ({
    pool: options.db.poolStats?.(),
    outbox: { ...(await recorder.lag(relay.position)), relayed: relay.position },
    webhookLagSeconds: await webhookRepository.lagSeconds(),
  }));
  const subjectAccess = new SubjectAccessService(new SubjectAccessRepository(options.db.prisma), usersRepository, exports, clock);
  return {
    db: options.db,
    metrics,
    clock,
    usersRepository,
    users,
    auth,
    tokens,
    access,
    sessions,
    loginHistory,
    hasher,
    stats,
    events,
    lifecycle,
    erasure,
    credentials,
    subjectAccess,
    retention,
    imports,
    exports,
    webhooks,
    start: async () => {
      await events.start();
      expiry.start();
      loginHistory.start();
      retention.start();
      // The embedded database opens in one process only: a RUNNING import found there is abandoned.
      await imports.startHousekeeping(options.db.kind === 'pglite');
      dispatcher.start();
    },
    stop: async () => {
      // First: a running import records its end while the database is still open.
      await imports.close();
      // Attempts in flight end now; their events go again from the cursor (at-least-once).
      await dispatcher.stop();
      await expiry.stop();
      await loginHistory.stop();
      await retention.stop();
      await events.stop();
      await throttleRedis?.quit().catch(() => throttleRedis.disconnect());
    },
  };
}
