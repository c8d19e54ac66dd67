// Composition root for the domain: plain constructor injection, no container.
// Library users call createServices() to use the domain without GraphQL (then start() to relay
// events and end suspensions, stop() before closing the database).
import { AuthService } from './auth/auth.service.js';
import { PasswordHasher } from './auth/password.hasher.js';
import { TokenService } from './auth/token.service.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_LIMITS, defaultTuning, type Limits, type Tuning } from './config.js';
import type { Database } from './db/client.js';
import { LocalEventBus } from './events/event.bus.js';
import { EventsService } from './events/event.service.js';
import { OutboxRelay, type RelayOptions } from './events/outbox.relay.js';
import { InProcessTransport, RedisTransport } from './events/event.transport.js';
import { EventRecorder } from './events/user-event.repository.js';
import { createLogger, type Logger } from './logger.js';
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
import { ExportLinkSigner } from './users/export/export.link.js';
import { ExportsRepository } from './users/export/export.repository.js';
import { ExportService } from './users/export/export.service.js';

export interface ServicesOptions {
  db: Database;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number; jwksUrl?: string | undefined };
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
  /** Base of export download links (PUBLIC_URL or the server's address, known once it listens). */
  exportBaseUrl?: () => string;
  /** DELETED_USER_RETENTION_DAYS: erase users soft-deleted longer ago; undefined keeps them. */
  deletedUserRetentionDays?: number | undefined;
  /** USER_EVENTS_RETENTION_DAYS: prune relayed events older than this; undefined keeps them. */
  userEventsRetentionDays?: number | undefined;
}

export interface Services {
  db: Database;
  clock: Clock;
  usersRepository: UsersRepository;
  users: UsersService;
  auth: AuthService;
  tokens: TokenService;
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
  /** Starts the outbox relay and the suspension expiry timer. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createServices(options: ServicesOptions): Services {
  const clock = options.clock ?? systemClock;
  const usersRepository = UsersRepository.create(options.db.prisma);
  const hasher = new PasswordHasher(options.bcryptCost);
  const tokens = new TokenService(options.jwt);
  const log = options.log ?? createLogger('silent');
  const bus = new LocalEventBus(log.child({ component: 'events' }));
  const recorder = new EventRecorder(options.db.prisma);
  const tuning = options.tuning ?? defaultTuning(options.db.kind, { redis: options.redisUrl !== undefined });
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
  });
  const expiry = new SuspensionExpiry(lifecycle, events, clock, log.child({ component: 'suspension-expiry' }));
  // Suspended and deactivated users cannot log in (the status is derived, so it is exact at `until`).
  const auth = new AuthService(usersRepository, hasher, tokens, clock, (user, now) => userStatus(user, now) === 'ACTIVE');
  const credentials = new CredentialService(usersRepository, hasher, auth, events, clock);
  const stats = new StatsService(new StatsRepository(options.db.prisma), clock);
  const imports = new ImportService({
    repository: new ImportsRepository(options.db.prisma),
    hasher: new PasswordHashPool(options.bcryptCost),
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
      afterCommit: (recorded) => events.committed(recorded),
    },
  });
  const exports = new ExportService(
    new ExportsRepository(options.db.prisma),
    new ExportLinkSigner(options.jwt.secret, options.jwt.issuer),
    clock,
    options.exportBaseUrl ?? (() => 'http://localhost:4000'),
    tuning.export,
  );
  const subjectAccess = new SubjectAccessService(new SubjectAccessRepository(options.db.prisma), usersRepository, exports, clock);
  return {
    db: options.db,
    clock,
    usersRepository,
    users,
    auth,
    tokens,
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
    start: async () => {
      await events.start();
      await expiry.start();
      retention.start();
      // The embedded database opens in one process only: a RUNNING import found there is abandoned.
      await imports.startHousekeeping(options.db.kind === 'pglite');
    },
    stop: async () => {
      // First: a running import records its end while the database is still open.
      await imports.close();
      await expiry.stop();
      await retention.stop();
      await events.stop();
    },
  };
}
