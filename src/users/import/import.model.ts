// The import contract in domain terms: what an import reads, what an import is, what a row error
// looks like, and what each tuning number means (their values: defaultTuning in src/config.ts).
// GraphQL types (import.type.ts) map onto these 1:1.
import type { Readable } from 'node:stream';

/** A file to import: an upload, a file on disk (the CLI), any stream of CSV bytes. */
export interface ImportSource {
  filename: string;
  stream: Readable;
  /**
   * Settles when the whole file has arrived (rejects if the upload failed, e.g. over the size
   * limit). When set, nothing is committed before it resolves, so an upload that turns out too
   * large writes nothing. Left unset when the size is known to be within the limit.
   */
  complete?: Promise<void>;
}

export const IMPORT_MODES = ['INSERT', 'UPSERT', 'SKIP_EXISTING'] as const;
/** INSERT: an existing email is a row error. UPSERT: update that user. SKIP_EXISTING: leave it. */
export type ImportMode = (typeof IMPORT_MODES)[number];

export const IMPORT_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
  /** true: the call returns when the import ends; false: at once, with status RUNNING. */
  wait: boolean;
}

/** A problem with one field of one row. `row` counts file records with the header as row 1. */
export interface ImportRowError {
  row: number;
  email: string | null;
  field: string;
  code: string;
  message: string;
}

/** Why a whole import stopped (bad header, unreadable file, limits, write failure). */
export interface ImportFailure {
  code: string;
  message: string;
}

export interface ImportRecord {
  id: string;
  status: ImportStatus;
  filename: string;
  mode: ImportMode;
  dryRun: boolean;
  /** Data rows read so far (final once the import has ended). */
  totalRows: number;
  /** Rows in committed chunks: created + updated + skipped + failed. */
  processedRows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  /** Row errors found in processed rows, including those beyond the stored cap. */
  errorCount: number;
  /**
   * Every row up to this one (header = row 1) that has no row error and was not skipped was
   * written; nothing after it was. Stays 1 when no chunk was committed.
   */
  lastCommittedRow: number;
  failure: ImportFailure | null;
  startedById: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export const TERMINAL_STATUSES: readonly ImportStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export function isFinished(record: Pick<ImportRecord, 'status'>): boolean {
  return TERMINAL_STATUSES.includes(record.status);
}

export interface ImportTuning {
  /** Rows per atomic chunk (one transaction, one event, one progress message). */
  chunkRows: number;
  /**
   * Plaintext passwords per chunk: hashing is ~1000x slower than writing, so such chunks are
   * sealed sooner, or progress would stall for minutes between messages.
   */
  chunkPasswords: number;
  /** Row errors stored per import; more are counted (errorCount) but not kept. */
  maxStoredErrors: number;
  /** Longest record accepted, in characters: guards memory against an unbalanced quote. */
  maxRecordChars: number;
  /**
   * Chunks written at the same time, on separate connections. Index maintenance on users is
   * most of an import's cost and runs in the database backend, so a second writer puts the
   * second core to work. Commits still happen in file order (see import.writer.ts).
   * The embedded database has one connection: 1 there.
   */
  writers: number;
  /** How often a process marks the imports it runs as alive (user_imports.updated_at). */
  heartbeatMs: number;
  /**
   * A RUNNING import not marked alive for this long was left by a process that died (killed,
   * crashed, machine lost): any instance then ends it as FAILED, IMPORT_INTERRUPTED. Its
   * committed chunks stay and the record says which rows (lastCommittedRow).
   */
  abandonedAfterMs: number;
}

export const MAX_ERRORS_PAGE = 10_000;
