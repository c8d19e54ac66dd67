// The only reader of process.env. Parses once at start, reports every problem at once. Also the
// one home of every default: the variables' (below) and the tuning numbers' (defaultTuning).
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { ImportTuning } from './users/import/import.model.js';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 900s, 15m, 12h or 7d')
  .transform(parseDurationSeconds);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A duration in milliseconds: 250ms, 10s, 15m, 24h or 7d. */
const durationMs = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 250ms, 10s, 15m, 24h or 7d')
  .transform((v) => (v.endsWith('ms') ? Number(v.slice(0, -2)) : parseDurationSeconds(v) * 1000));

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((u) => protocols.some((p) => u.startsWith(`${p}:`)), `must start with ${protocols.join(': or ')}:`)
    .optional();

/** Login throttling (auth/login.throttle.ts): the LOGIN_* variables. */
export interface LoginThrottleOptions {
  /** Consecutive failures for one email before it is locked. */
  maxFailures: number;
  /** The first lock's length; each further failure doubles it. */
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  /** Failures from one client IP per window, whatever the emails. */
  ipMaxFailures: number;
  ipWindowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailures: 5,
  lockoutBaseSeconds: 30,
  lockoutMaxSeconds: 15 * 60,
  ipMaxFailures: 100,
  ipWindowSeconds: 15 * 60,
};

export const DEFAULT_LOGIN_HISTORY_DAYS = 90;

/** The import limits when no environment says otherwise (library use without loadConfig, too). */
export const DEFAULT_LIMITS: Limits = { uploadMaxBytes: 100 * 1024 * 1024, importMaxRows: 5_000_000 };

export interface Limits {
  /** UPLOAD_MAX_BYTES: the largest CSV upload. */
  uploadMaxBytes: number;
  /** IMPORT_MAX_ROWS: the most rows in one import. */
  importMaxRows: number;
}

/**
 * Chunks of one import written at once on PostgreSQL (IMPORT_WRITERS). Index maintenance on users
 * is most of an import's cost and runs in a database backend, one core each: a second writer puts
 * the machine's second core to work.
 */
const POSTGRES_IMPORT_WRITERS = 2;

/** Operation limits when no environment says otherwise (README, Operation limits). */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = { depth: 10, aliases: 15, tokens: 5_000, directives: 10, cost: 20_000 };

export interface OperationLimits {
  /** MAX_DEPTH: deepest selection nesting (introspection's own nesting is not counted). */
  depth: number;
  /** MAX_ALIASES: aliases in one operation. */
  aliases: number;
  /** MAX_TOKENS: lexical tokens in one document. */
  tokens: number;
  /** MAX_DIRECTIVES: directives in one operation. */
  directives: number;
  /** MAX_COST: the cost model's total (http/operation.limits.ts). */
  cost: number;
}

/** Rate limits when no environment says otherwise: generous, a person clicking never meets them. */
export const DEFAULT_RATE_LIMITS = { principalPoints: 600, ipPoints: 1_200, windowSeconds: 60 };

export interface RateLimits {
  /** RATE_LIMIT_POINTS: points per window for one signed-in principal (0 turns it off). */
  principalPoints: number;
  /** RATE_LIMIT_IP_POINTS: points per window for one client address (0 turns it off). */
  ipPoints: number;
  /** RATE_LIMIT_WINDOW: the window, in seconds. */
  windowSeconds: number;
}

/** Express's `trust proxy` setting: false, true, a hop count, or addresses/subnets. */
export type TrustProxy = boolean | number | string[];

function parseTrustProxy(value: string): TrustProxy | undefined {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const known = /^(loopback|linklocal|uniquelocal|[0-9a-f:.]+(\/\d{1,3})?)$/;
  return list.length > 0 && list.every((s) => known.test(s)) ? list : undefined;
}

function isOriginOrStar(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}
/**
 * SHUTDOWN_DELAY: after SIGTERM, /readyz answers 503 while the server keeps serving for this long,
 * so a load balancer (which polls readiness every few seconds) stops sending traffic before the
 * listening socket closes; then in-flight requests drain.
 */
const DEFAULT_SHUTDOWN_DELAY_MS = 3_000;

/** Outbound webhooks (src/webhooks): the WEBHOOK_* variables. */
export interface WebhookSettings {
  /** WEBHOOK_ALLOW_PRIVATE: private, loopback and link-local addresses, and http to localhost. */
  allowPrivate: boolean;
  /** WEBHOOK_MAX_FAILURES: consecutive failed attempts before an endpoint is disabled. */
  maxFailures: number;
  /** WEBHOOK_RETRY_FOR: how long an event is retried before its endpoint is disabled. */
  retryForMs: number;
  /** WEBHOOK_RETRY_BASE, WEBHOOK_RETRY_MAX: the backoff's first step and its cap. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** WEBHOOK_TIMEOUT: one attempt, from connecting to the end of the response. */
  timeoutMs: number;
  /** WEBHOOK_LEASE: how long an instance holds an endpoint without renewing (a crashed one's is taken over after it). */
  leaseMs: number;
}

/**
 * Webhook defaults. 100 failures outlast the 24 h window (backoff capped at 1 h, full jitter: about
 * 50 attempts in 24 h), so by default it is the window that disables a dead endpoint.
 */
export const DEFAULT_WEBHOOKS: WebhookSettings = {
  allowPrivate: false,
  maxFailures: 100,
  retryForMs: 24 * 3_600_000,
  retryBaseMs: 5_000,
  retryMaxMs: 3_600_000,
  timeoutMs: 10_000,
  leaseMs: 30_000,
};

const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalUrl(['http', 'https']),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().min(1).default('./data'),
  MIGRATE_ON_START: bool.default(true),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters for HS256').optional(),
  JWT_ISSUER: z.string().min(1).default('users-service'),
  JWT_AUDIENCE: z.string().min(1).default('users-service'),
  ACCESS_TOKEN_TTL: duration.default(900),
  REFRESH_TOKEN_TTL: duration.default(30 * 86_400),
  LOGIN_HISTORY_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_LOGIN_HISTORY_DAYS),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(DEFAULT_LOGIN_THROTTLE.maxFailures),
  LOGIN_LOCKOUT_BASE: duration.default(DEFAULT_LOGIN_THROTTLE.lockoutBaseSeconds),
  LOGIN_LOCKOUT_MAX: duration.default(DEFAULT_LOGIN_THROTTLE.lockoutMaxSeconds),
  LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_THROTTLE.ipMaxFailures),
  LOGIN_IP_WINDOW: duration.default(DEFAULT_LOGIN_THROTTLE.ipWindowSeconds),
  JWKS_URL: optionalUrl(['http', 'https']),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(8).max(72).optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INTROSPECTION: bool.optional(),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.uploadMaxBytes),
  IMPORT_MAX_ROWS: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.importMaxRows),
  // Chunks of one import written at once on PostgreSQL (the embedded database always uses 1).
  IMPORT_WRITERS: z.coerce.number().int().min(1).max(8).default(POSTGRES_IMPORT_WRITERS),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o !== ''))
    .pipe(z.array(z.string().refine(isOriginOrStar, 'each entry must be an origin like https://app.example.com (scheme, host, optional port; no path) or *')))
    .optional(),
  TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      const parsed = parseTrustProxy(v);
      if (parsed === undefined) ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or comma-separated addresses/subnets (loopback, 10.0.0.0/8, …)' });
      return parsed ?? false;
    })
    .default(false),
  MAX_DEPTH: z.coerce.number().int().min(1).default(DEFAULT_OPERATION_LIMITS.depth),
  MAX_ALIASES: z.coerce.number().int().min(0).default(DEFAULT_OPERATION_LIMITS.aliases),
  MAX_TOKENS: z.coerce.number().int().min(10).default(DEFAULT_OPERATION_LIMITS.tokens),
  MAX_DIRECTIVES: z.coerce.number().int().min(0).default(DEFAULT_OPERATION_LIMITS.directives),
  MAX_COST: z.coerce.number().int().min(1).default(DEFAULT_OPERATION_LIMITS.cost),
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  RATE_LIMIT_POINTS: z.coerce.number().int().min(0).default(DEFAULT_RATE_LIMITS.principalPoints),
  RATE_LIMIT_IP_POINTS: z.coerce.number().int().min(0).default(DEFAULT_RATE_LIMITS.ipPoints),
  RATE_LIMIT_WINDOW: duration.default(DEFAULT_RATE_LIMITS.windowSeconds),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http', 'https']),
  OTEL_SERVICE_NAME: z.string().min(1).default('users-service'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SHUTDOWN_DELAY: z
    .string()
    .regex(/^\d+(ms|s|m)$/, 'must be a duration like 0s, 500ms or 10s')
    .transform(parseDurationMs)
    .default(DEFAULT_SHUTDOWN_DELAY_MS),
  DELETED_USER_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).optional(),
  USER_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_WEBHOOKS.maxFailures),
  WEBHOOK_RETRY_FOR: durationMs.default(DEFAULT_WEBHOOKS.retryForMs),
  WEBHOOK_RETRY_BASE: durationMs.default(DEFAULT_WEBHOOKS.retryBaseMs),
  WEBHOOK_RETRY_MAX: durationMs.default(DEFAULT_WEBHOOKS.retryMaxMs),
  WEBHOOK_TIMEOUT: durationMs.default(DEFAULT_WEBHOOKS.timeoutMs),
  WEBHOOK_LEASE: durationMs.default(DEFAULT_WEBHOOKS.leaseMs),
});

/** Every variable this module reads (tests/unit/env-example.test.ts holds .env.example to it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables.shape);

/** Read at start from the working directory when present; see processEnvironment. */
export const ENV_FILE = '.env';

/**
 * process.env after merging `.env` into it. Node's own parser (the same as --env-file) leaves a
 * variable that is already set alone, so the real environment wins over the file: a deployment
 * can override one value without editing the file.
 */
function processEnvironment(): NodeJS.ProcessEnv {
  if (existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
  return process.env;
}

function schemaFor(options: LoadOptions) {
  return variables.superRefine((env, ctx) => {
    if (options.requireJwtSecret !== false && env.DATABASE_URL && !env.JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is required when DATABASE_URL is set (only the embedded database generates one)',
      });
    }
    if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'ADMIN_EMAIL and ADMIN_PASSWORD go together' });
    }
  });
}

export type Env = z.infer<typeof variables>;

/** Which browser origins may call the API (http/cors.ts). */
export interface CorsSettings {
  /** CORS_ORIGINS: exact origins, or ['*'] for any (then without credentials). */
  origins: string[];
  /** Outside production: http://localhost:* and http://127.0.0.1:* as well. */
  allowLocalhost: boolean;
}

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string | undefined;
  database: { url: string | undefined; poolSize: number; preparedStatements: boolean; dataDir: string; migrateOnStart: boolean };
  auth: {
    /** undefined only on the embedded database, where it is generated once and kept in DATA_DIR. */
    jwtSecret: string | undefined;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_BASE/MAX, LOGIN_IP_MAX_FAILURES, LOGIN_IP_WINDOW. */
    loginThrottle: LoginThrottleOptions;
    /** LOGIN_HISTORY_DAYS: how long login attempts are kept. */
    loginHistoryDays: number;
    jwksUrl: string | undefined;
    bcryptCost: number;
  };
  bootstrapAdmin: { email: string; password: string } | undefined;
  logLevel: Env['LOG_LEVEL'];
  introspection: boolean;
  /** NODE_ENV=production: no landing page, no "did you mean" (and no introspection unless INTROSPECTION=true). */
  production: boolean;
  cors: CorsSettings;
  trustProxy: TrustProxy;
  operationLimits: OperationLimits;
  /** TRUSTED_DOCUMENTS: path of a JSON file of the only operations allowed. */
  trustedDocuments: string | undefined;
  rateLimits: RateLimits;
  redisUrl: string | undefined;
  limits: Limits;
  tuning: Tuning;
  /** SHUTDOWN_DELAY in milliseconds. */
  shutdownDelayMs: number;
  /** METRICS_TOKEN: GET /metrics needs it as a bearer token; unset, /metrics is not served. */
  metricsToken: string | undefined;
  /** OpenTelemetry traces go to this OTLP/HTTP endpoint; undefined: tracing is off. */
  tracing: { endpoint: string; serviceName: string } | undefined;
  /** Soft-deleted users are erased this many days after their deletion; undefined: kept. */
  deletedUserRetentionDays: number | undefined;
  /** Events older than this many days (and relayed) are pruned; undefined: kept. */
  userEventsRetentionDays: number | undefined;
  webhooks: WebhookSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /**
   * false for tools that sign no token (the migration CLI): DATABASE_URL then goes without
   * JWT_SECRET. Default true: a server on PostgreSQL must not sign with a made-up secret.
   */
  requireJwtSecret?: boolean;
}

/**
 * Parses an environment: by default the process's, with `.env` merged in. Throws ConfigError
 * naming every bad variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = processEnvironment(), options: LoadOptions = {}): Config {
  // Empty strings mean "unset": shells and .env files often export VAR= .
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schemaFor(options).safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, preparedStatements: e.DATABASE_PREPARED_STATEMENTS, dataDir: e.DATA_DIR, migrateOnStart: e.MIGRATE_ON_START },
    auth: {
      jwtSecret: e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
      loginHistoryDays: e.LOGIN_HISTORY_DAYS,
      loginThrottle: {
        maxFailures: e.LOGIN_MAX_FAILURES,
        lockoutBaseSeconds: e.LOGIN_LOCKOUT_BASE,
        lockoutMaxSeconds: e.LOGIN_LOCKOUT_MAX,
        ipMaxFailures: e.LOGIN_IP_MAX_FAILURES,
        ipWindowSeconds: e.LOGIN_IP_WINDOW,
      },
      jwksUrl: e.JWKS_URL,
      bcryptCost: e.BCRYPT_COST,
    },
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    logLevel: e.LOG_LEVEL,
    introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
    production: e.NODE_ENV === 'production',
    cors: { origins: e.CORS_ORIGINS ?? [], allowLocalhost: e.NODE_ENV !== 'production' },
    trustProxy: e.TRUST_PROXY,
    operationLimits: { depth: e.MAX_DEPTH, aliases: e.MAX_ALIASES, tokens: e.MAX_TOKENS, directives: e.MAX_DIRECTIVES, cost: e.MAX_COST },
    trustedDocuments: e.TRUSTED_DOCUMENTS,
    rateLimits: { principalPoints: e.RATE_LIMIT_POINTS, ipPoints: e.RATE_LIMIT_IP_POINTS, windowSeconds: e.RATE_LIMIT_WINDOW },
    redisUrl: e.REDIS_URL,
    limits: { uploadMaxBytes: e.UPLOAD_MAX_BYTES, importMaxRows: e.IMPORT_MAX_ROWS },
    tuning: defaultTuning(e.DATABASE_URL ? 'postgres' : 'pglite', { redis: e.REDIS_URL !== undefined, importWriters: e.IMPORT_WRITERS }),
    shutdownDelayMs: e.SHUTDOWN_DELAY,
    metricsToken: e.METRICS_TOKEN,
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME } : undefined,
    deletedUserRetentionDays: e.DELETED_USER_RETENTION_DAYS,
    userEventsRetentionDays: e.USER_EVENTS_RETENTION_DAYS,
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      maxFailures: e.WEBHOOK_MAX_FAILURES,
      retryForMs: e.WEBHOOK_RETRY_FOR,
      retryBaseMs: e.WEBHOOK_RETRY_BASE,
      retryMaxMs: Math.max(e.WEBHOOK_RETRY_MAX, e.WEBHOOK_RETRY_BASE),
      timeoutMs: e.WEBHOOK_TIMEOUT,
      leaseMs: e.WEBHOOK_LEASE,
    },
  };
}

/** Which database the service runs on: PostgreSQL (DATABASE_URL) or the embedded PGlite. */
export type DatabaseKind = 'postgres' | 'pglite';

/**
 * Performance knobs, with defaults measured on the 2-core development machine (README,
 * Performance). Only IMPORT_WRITERS is an environment variable; the rest are here so that every
 * number lives in one place.
 */
export interface Tuning {
  /** The outbox relay (events/outbox.relay.ts). */
  relay: {
    /** How often it reads user_events for what nobody reported, and saves its position. */
    pollMs: number;
    /** Events per read. */
    batchSize: number;
  };
  /** The CSV importer: each knob is explained where it is used (users/import/import.model.ts). */
  import: ImportTuning;
  /** Logins (auth/password.hasher.ts). */
  auth: {
    /**
     * bcrypt compares on the worker pool rather than the event loop: measured with 50 parallel
     * logins, `me` p95 went from seconds to milliseconds (README, Performance).
     */
    compareOnWorkers: boolean;
  };
  /**
   * Export downloads read in batches (users/export/export.service.ts) where they are not one COPY:
   * the server on PostgreSQL streams one COPY and uses neither number; tests and a service built
   * without COPY still read PostgreSQL in batches.
   */
  export: {
    /** Batches rendered at once, each by its own database backend. */
    renderers: number;
    /** Rows per batch: one round trip each; memory holds a few batches. */
    batchRows: number;
  };
}

/**
 * The tuning for a database. The embedded database has one connection, and its single thread runs
 * the database and the server: one import writer, one export renderer, smaller export batches
 * (its WASM memory never shrinks, and bigger batches gained it nothing measurable).
 */
export function defaultTuning(database: DatabaseKind, options: { redis?: boolean; importWriters?: number } = {}): Tuning {
  const postgres = database === 'postgres';
  return {
    relay: {
      // Without Redis on PostgreSQL, the poll is how other instances' events arrive: poll often.
      // With Redis, or on the embedded database (one process), it is only a safety net.
      pollMs: postgres && !options.redis ? 1_000 : 5_000,
      batchSize: 500,
    },
    import: {
      chunkRows: 5_000,
      chunkPasswords: 64,
      maxStoredErrors: 10_000,
      maxRecordChars: 4 * 1024 * 1024,
      writers: postgres ? (options.importWriters ?? POSTGRES_IMPORT_WRITERS) : 1,
      heartbeatMs: 30_000,
      abandonedAfterMs: 120_000,
    },
    auth: { compareOnWorkers: true },
    // PostgreSQL: 10k rows per batch measured 5-10% faster than 5k, and no gain past 20k (a JSON
    // batch of 10k users is ~4.6 MB of text).
    export: postgres ? { renderers: 2, batchRows: 10_000 } : { renderers: 1, batchRows: 5_000 },
  };
}

/** The configuration of a tool that signs no token (the migration CLI): JWT_SECRET is optional. */
export function loadMigrationConfig(source: NodeJS.ProcessEnv = processEnvironment()): Config {
  return loadConfig(source, { requireJwtSecret: false });
}

function parseDurationMs(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`bad duration ${value}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new Error(`bad duration ${value}`);
  const n = Number(match[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.max(1, Math.round(n * unit));
}
