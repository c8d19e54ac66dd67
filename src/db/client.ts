// Opens the database the configuration names: a real PostgreSQL (DATABASE_URL) or an embedded
// PGlite persisted in DATA_DIR. Everything above this module sees one PrismaClient either way.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPg } from '@prisma/adapter-pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin, to as copyToStdout } from 'pg-copy-streams';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { lockDataDir, type DataDirLock } from './data-dir.lock.js';
import { pgliteWasmModule } from './pglite-wasm.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://… for a real server; undefined for the embedded database. */
  url?: string | undefined;
  /** Where PGlite keeps its files; `memory://` keeps nothing. */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /**
   * PostgreSQL: run the adapter's reads as named prepared statements (default true). Off for a
   * pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /** Count SQL statements in `queryCount` (tests prove batching with it). */
  countQueries?: boolean;
  /**
   * Embedded only: start from this data directory image (what `dumpDataDir` returned) instead
   * of an empty database. Tests copy one migrated image per file this way.
   */
  loadDataDir?: Blob | undefined;
  /**
   * PostgreSQL only: an idle pooled connection failed (the server restarted, an admin terminated
   * it). The pool drops it and opens another when needed; without a listener the error would be
   * an unhandled 'error' event that ends the process.
   */
  onPoolError?: (error: Error) => void;
}

export interface Database {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  /** The factory the migration engine connects through (same connection target as prisma). */
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** SQL statements run so far, when opened with countQueries. */
  readonly queryCount: number;
  /** PostgreSQL only: the pool's connections in use, queries waiting for one, and its size. */
  poolStats?(): { inUse: number; waiting: number; size: number };
  /**
   * Streams `data` through `COPY … FROM STDIN` (`statement`) on the connection of the interactive
   * transaction `tx`, so the rows commit or roll back with it (PGlite reads it from its blob
   * device). Prisma has no COPY and passes a bulk write as one big parameter it re-encodes; the
   * CSV import writes its chunks this way instead (users/import/user-row.repository.ts).
   */
  copyFrom?(tx: Prisma.TransactionClient, statement: string, data: string): Promise<void>;
  /**
   * PostgreSQL only: `COPY … TO STDOUT` (`statement`, no parameters) on a pool connection of its
   * own, as a byte stream that reads from the server only as fast as it is read (back-pressure
   * reaches the server through the socket). The connection goes back to the pool when the COPY
   * has completed; destroyed or failed before that, it is closed instead: a COPY cut short leaves
   * it mid-protocol, and closing it is also what stops the server's backend.
   */
  copyTo?(statement: string): Promise<Readable>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  /**
   * After migrations created types: PGlite learns the array types (e.g. `"Role"[]`) once, at
   * open, and sends an array parameter of a type it has not seen as plain text, so the first run
   * on a fresh data dir answered `malformed array literal` to a role filter until a restart.
   */
  schemaChanged?(): Promise<void>;
  /** Embedded only: the whole data directory as one tar image (see DatabaseOptions.loadDataDir). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options, options.url) : openPglite(options);
}

/**
 * Interactive transactions wait for a connection for at most maxWait. Prisma's 2 s default is
 * too short for the embedded database, where every transaction shares one connection and a burst
 * of writes queues behind each other; a request failing for waiting its turn would be a 500.
 */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 };

function createClient(adapter: SqlMigrationAwareDriverAdapterFactory, countQueries: boolean): { prisma: PrismaClient; counter: { n: number } } {
  const counter = { n: 0 };
  if (!countQueries) return { prisma: new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS }), counter };
  const prisma = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', () => {
    counter.n += 1;
  });
  return { prisma, counter };
}

async function openPostgres(options: DatabaseOptions, url: string): Promise<Database> {
  // Without a connect timeout pg-pool waits forever for a server that does not answer (or for a
  // free connection): a request would hang instead of failing as SERVICE_UNAVAILABLE.
  // Our own pool (the adapter's would be out of reach) so the metrics can read its counts.
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: TRANSACTION_OPTIONS.maxWait });
  pool.on('error', options.onPoolError ?? (() => undefined));
  // The pool's connections by backend process id: a transaction finds its own connection by
  // asking the server for pg_backend_pid() (Prisma does not hand its connection out).
  const connections = new Map<number, pg.PoolClient>();
  pool.on('connect', (client) => connections.set(backendPid(client), client));
  pool.on('remove', (client) => connections.delete(backendPid(client)));
  const adapterFactory = new PrismaPg(pool, options.preparedStatements === false ? {} : { statementNameGenerator: preparedStatementNames() });
  const { prisma, counter } = createClient(adapterFactory, options.countQueries ?? false);
  await prisma.$connect();
  return {
    kind: 'postgres',
    prisma,
    adapterFactory,
    get queryCount() {
      return counter.n;
    },
    poolStats: () => ({ inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount, size: pool.totalCount }),
    copyFrom: async (tx, statement, data) => {
      const [row] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      const client = row && connections.get(row.pid);
      if (!client) throw new Error('COPY: the transaction\'s connection is not one of the pool\'s');
      // The transaction is idle while its owner awaits this: the connection is ours until COPY ends.
      await pipeline(Readable.from([Buffer.from(data, 'utf8')]), client.query(copyFromStdin(statement)));
    },
    copyTo: (statement) => copyToStream(pool, statement),
    ping: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** Distinct statements kept prepared on each connection, at most. */
export const PREPARED_STATEMENTS = 256;

/**
 * Names for the adapter's read statements, so each pooled connection parses and plans a statement
 * once and then only binds and runs it (pg keeps the prepared statement per connection). The same
 * text always gets the same name. Only SELECT and WITH … SELECT are named: transaction control and
 * writes run unnamed as before. Bounded: once PREPARED_STATEMENTS texts have names, new texts run
 * unnamed, so a client varying its selections cannot make the server's memory grow. Every
 * statement lists its columns (no `*`), so a column added by a migration while a server runs does
 * not change a prepared statement's result type.
 */
export function preparedStatementNames(): (query: { sql: string }) => string {
  // '' runs a statement unnamed. Texts not named are remembered too (up to a bound) so the test
  // runs once per text.
  const names = new Map<string, string>();
  let named = 0;
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      const reads = /^\s*(?:SELECT|WITH)\b/i.test(sql) && !/\b(?:INSERT|UPDATE|DELETE)\b/i.test(sql);
      name = reads && named < PREPARED_STATEMENTS ? `users_service_${(named += 1)}` : '';
      if (name || names.size < 4 * PREPARED_STATEMENTS) names.set(sql, name);
    }
    return name;
  };
}

async function copyToStream(pool: pg.Pool, statement: string): Promise<Readable> {
  const client = await pool.connect();
  let released = false;
  // A checked-out client has no listener of the pool's: a backend that dies under the COPY
  // (terminated, the server restarting) would be an 'error' nobody handles, which ends the process.
  const onClientError = (error: Error) => release(error);
  client.on('error', onClientError);
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.off('error', onClientError);
    // With an error the pool closes the connection (pg destroys the socket of a busy one).
    client.release(error ?? false);
  };
  // pg calls handleReadyForQuery on the active query (a Submittable method @types leave out).
  const stream = copyToStdout(statement) as ReturnType<typeof copyToStdout> & { handleReadyForQuery(): void };
  let complete = false;
  let ended = false;
  // The connection is free once the server says so (ReadyForQuery after the COPY): the stream's
  // 'end' can come before that, and a query sent earlier would queue behind the COPY.
  const handleReadyForQuery = stream.handleReadyForQuery.bind(stream);
  stream.handleReadyForQuery = () => {
    handleReadyForQuery();
    complete = true;
    release();
  };
  // Kept for the stream's whole life: pg reports a connection that closes under a COPY on the
  // stream, after its reader may have gone, and an 'error' without a listener ends the process.
  stream.on('error', (error: Error) => release(error));
  stream.once('end', () => {
    ended = true;
  });
  // Destroyed before all of it arrived: close the connection, which also ends the COPY.
  stream.once('close', () => {
    if (!ended && !complete) release(new Error('COPY TO stopped before its end'));
  });
  client.query(stream);
  return stream;
}

/** pg sets processID from the server's BackendKeyData during connect (not in @types/pg). */
function backendPid(client: pg.PoolClient): number {
  return (client as pg.PoolClient & { processID: number }).processID;
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const { dataDir } = options;
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    lock = lockDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    // pg_trgm backs the substring search index; PGlite ships it as a separate extension module.
    pglite = await PGlite.create(dataDir, {
      extensions: { pg_trgm },
      pgliteWasmModule: await pgliteWasmModule(),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  // PGlite runs one transaction at a time and queues every other query behind it, so a COPY for
  // an interactive transaction must go through that transaction's own handle, which Prisma's
  // adapter keeps to itself: remember the handle of the transaction running now.
  let running: Transaction | undefined;
  const transaction = pglite.transaction.bind(pglite);
  pglite.transaction = <T>(work: (tx: Transaction) => Promise<T>) =>
    transaction(async (tx) => {
      running = tx;
      try {
        return await work(tx);
      } finally {
        running = undefined;
      }
    });
  const adapterFactory = new PrismaPGlite(pglite);
  const { prisma, counter } = createClient(adapterFactory, options.countQueries ?? false);
  return {
    kind: 'pglite',
    // PGlite has no STDIN: the same COPY reads the data from its blob device. The only
    // transaction running is the caller's (`tx`), which awaits this.
    copyFrom: async (_tx, statement, data) => {
      if (!running) throw new Error('COPY: no transaction is running');
      await running.query(statement.replace(/ FROM STDIN$/, " FROM '/dev/blob'"), [], { blob: new Blob([data]) });
    },
    prisma,
    adapterFactory,
    get queryCount() {
      return counter.n;
    },
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    schemaChanged: () => pglite.refreshArrayTypes(),
    dumpDataDir: () => pglite.dumpDataDir('none'),
    close: async () => {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
