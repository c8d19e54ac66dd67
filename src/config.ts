// The only reader of process.env. Parses once at start, reports every problem at once. Also the
// one home of every default: the variables' (below) and the tuning numbers' (defaultTuning).
import { z } from 'zod';
import type { ImportTuning } from './users/import/import.model.js';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 900s, 15m, 12h or 7d')
  .transform(parseDurationSeconds);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((u) => protocols.some((p) => u.startsWith(`${p}:`)), `must start with ${protocols.join(': or ')}:`)
    .optional();

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

const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalUrl(['http', 'https']),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  MIGRATE_ON_START: bool.default(true),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters for HS256').optional(),
  JWT_ISSUER: z.string().min(1).default('users-service'),
  JWT_AUDIENCE: z.string().min(1).default('users-service'),
  ACCESS_TOKEN_TTL: duration.default(3600),
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
  DELETED_USER_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).optional(),
  USER_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
});

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

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string | undefined;
  database: { url: string | undefined; poolSize: number; dataDir: string; migrateOnStart: boolean };
  auth: {
    /** undefined only on the embedded database, where it is generated once and kept in DATA_DIR. */
    jwtSecret: string | undefined;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    jwksUrl: string | undefined;
    bcryptCost: number;
  };
  bootstrapAdmin: { email: string; password: string } | undefined;
  logLevel: Env['LOG_LEVEL'];
  introspection: boolean;
  redisUrl: string | undefined;
  limits: Limits;
  tuning: Tuning;
  /** Soft-deleted users are erased this many days after their deletion; undefined: kept. */
  deletedUserRetentionDays: number | undefined;
  /** Events older than this many days (and relayed) are pruned; undefined: kept. */
  userEventsRetentionDays: number | undefined;
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

/** Parses an environment (process.env by default). Throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
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
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, dataDir: e.DATA_DIR, migrateOnStart: e.MIGRATE_ON_START },
    auth: {
      jwtSecret: e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
      jwksUrl: e.JWKS_URL,
      bcryptCost: e.BCRYPT_COST,
    },
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    logLevel: e.LOG_LEVEL,
    introspection: e.INTROSPECTION ?? true,
    redisUrl: e.REDIS_URL,
    limits: { uploadMaxBytes: e.UPLOAD_MAX_BYTES, importMaxRows: e.IMPORT_MAX_ROWS },
    tuning: defaultTuning(e.DATABASE_URL ? 'postgres' : 'pglite', { redis: e.REDIS_URL !== undefined, importWriters: e.IMPORT_WRITERS }),
    deletedUserRetentionDays: e.DELETED_USER_RETENTION_DAYS,
    userEventsRetentionDays: e.USER_EVENTS_RETENTION_DAYS,
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
  /** Export downloads (users/export/export.service.ts). */
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
    // PostgreSQL: 10k rows per batch measured 5-10% faster than 5k, and no gain past 20k (a JSON
    // batch of 10k users is ~4.6 MB of text).
    export: postgres ? { renderers: 2, batchRows: 10_000 } : { renderers: 1, batchRows: 5_000 },
  };
}

/** The configuration of a tool that signs no token (the migration CLI): JWT_SECRET is optional. */
export function loadMigrationConfig(source: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(source, { requireJwtSecret: false });
}

function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new Error(`bad duration ${value}`);
  const n = Number(match[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.max(1, Math.round(n * unit));
}
