// The users table's writer for the CSV import: one chunk of rows in one or two statements, inside
// the caller's transaction (the chunk's unit of work, see import.writer.ts). The rows travel as
// one JSON parameter and every column list comes from the users column map (user.columns.ts);
// an INSERT chunk is first tried as COPY (see copyNew), its rows kept as COPY text from the start
// (encoding).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import { rowsOf } from '../../db/rows.js';
import { importAssignments, importCopyColumns, importCopyLine, importInsert, importRecordset, type ImportedField, type ImportRowEncoding } from '../user.columns.js';
import type { ChunkRows } from './import.chunk.js';
import type { ImportMode } from './import.model.js';

type Tx = Prisma.TransactionClient;

export interface UserRowsWrite {
  mode: ImportMode;
  /** Write and roll back: what would have been written, and nothing is. */
  dryRun: boolean;
  /** Imported fields the file has: only these are set on existing users (UPSERT). */
  present: ReadonlySet<ImportedField>;
  /** For the audit columns: a user id, or null (system, external subject). */
  actorId: string | null;
}

/** The users a chunk wrote, by email (emails are unique among live users). */
export interface WrittenUsers {
  /** email → id */
  created: Map<string, string>;
  updated: Map<string, string>;
  /** Emails of rows not written because another live user has their externalId. */
  externalIdTaken: Set<string>;
}

const writtenRows = rowsOf('import write', z.object({ id: z.string(), email: z.string() }));
const takenRows = rowsOf('import external id check', z.object({ email: z.string() }));

/** COPY … FROM STDIN inside a transaction (Database.copyFrom). */
export type CopyFrom = (tx: Tx, statement: string, data: string) => Promise<void>;

const COPY_STATEMENT = `COPY users (${importCopyColumns()}) FROM STDIN`;

export class UserRowsRepository {
  /** `copyFrom`: when given, INSERT chunks are written with COPY (see copyNew). */
  constructor(private readonly copyFrom?: CopyFrom) {}

  /**
   * How a chunk written with `options` should keep its rows (ChunkRows): as COPY text when it
   * will be COPYed (an INSERT that is not a dry run, on a database with copyFrom), else as the
   * statements' JSON.
   */
  encoding(options: Pick<UserRowsWrite, 'mode' | 'dryRun'>): ImportRowEncoding {
    return this.copyFrom && options.mode === 'INSERT' && !options.dryRun ? 'copy' : 'json';
  }

  /**
   * Writes `rows` as `mode` says. The email arbiter is the partial unique index
   * users_email_live_key: soft-deleted users do not hold their address. (Splitting a chunk into
   * ~60 KB statements to keep parameters out of V8's large-object space was tried: 12% slower,
   * and with the 1 GB heap limit of `npm start` it saved only ~13 MB of RSS.)
   */
  async write(tx: Tx, rows: ChunkRows, options: UserRowsWrite): Promise<WrittenUsers> {
    const written: WrittenUsers = { created: new Map(), updated: new Map(), externalIdTaken: new Set() };
    if (rows.length === 0) return written;
    if (this.copyFrom && rows.encoding === 'copy' && this.encoding(options) === 'copy') {
      const created = await this.copyNew(this.copyFrom, tx, rows, options.actorId);
      if (created) return { ...written, created };
    }
    if (options.dryRun) await tx.$executeRawUnsafe('SAVEPOINT import_dry_run');
    const json = rows.toJson();
    if (options.present.has('externalId')) {
      for (const r of takenRows(await tx.$queryRaw(externalIdTakenQuery(json)))) written.externalIdTaken.add(r.email);
    }
    const { update, insert } = writeQueries(json, options);
    if (update) for (const r of writtenRows(await tx.$queryRaw(update))) written.updated.set(r.email, r.id);
    for (const r of writtenRows(await tx.$queryRaw(insert))) written.created.set(r.email, r.id);
    if (options.dryRun) await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT import_dry_run');
    return written;
  }

  /**
   * An INSERT chunk as COPY FROM STDIN, ids made here: no statement parameter for Prisma to
   * re-encode and no JSON for the server to unpack (measured 1.27x the upload's rate, issue 14).
   * COPY is all or nothing, so a chunk with a row the statements below would leave out (an email
   * or an externalId a live user has: a unique index refuses it) is rolled back to the savepoint
   * and returns null: the caller then writes it the usual way, which reports exactly those rows.
   */
  private async copyNew(copyFrom: CopyFrom, tx: Tx, rows: ChunkRows, actorId: string | null): Promise<Map<string, string> | null> {
    const created = new Map<string, string>();
    const lines = new Array<string>(rows.length);
    const { encoded, emails } = rows;
    for (let i = 0; i < encoded.length; i++) {
      const id = randomUUID();
      lines[i] = importCopyLine(id, actorId, encoded[i]!);
      created.set(emails[i]!, id);
    }
    const data = lines.join('');
    await tx.$executeRawUnsafe('SAVEPOINT import_copy');
    try {
      await copyFrom(tx, COPY_STATEMENT, data);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT import_copy');
      return null;
    }
    await tx.$executeRawUnsafe('RELEASE SAVEPOINT import_copy');
    return created;
  }
}

/** SQLSTATE 23505 from pg: a unique index refused a row. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}

// The statements, as pure builders (npm run sql:emit prints them for review). Rows arrive as one
// JSON parameter that PostgreSQL unpacks (json_to_recordset): one statement with a handful of
// parameters whatever the row count, and the driver passes one string instead of walking and
// converting every value of per-column arrays. Every string spliced in below is a constant of
// the column map, never input.

/**
 * The statements one chunk runs, in order: UPSERT updates the users the file names, then inserts
 * the rest; INSERT and SKIP_EXISTING only insert (ON CONFLICT leaves existing users alone; the
 * runner tells an EMAIL_TAKEN row from a skipped one by the mode).
 */
export function writeQueries(
  json: string,
  options: Pick<UserRowsWrite, 'mode' | 'present' | 'actorId'>,
): { update?: Prisma.Sql; insert: Prisma.Sql } {
  const upsert = options.mode === 'UPSERT';
  const insert = insertRowsQuery(json, options.actorId, upsert);
  return upsert ? { update: updateRowsQuery(json, options.present, options.actorId), insert } : { insert };
}

/**
 * Rows whose externalId a live user other than the row's own (same email) already has: they are
 * row errors, and the writes below leave them out rather than fail the chunk on the unique index.
 */
export function externalIdTakenQuery(json: string): Prisma.Sql {
  return Prisma.sql`
      SELECT v."email" AS email FROM ${importRecordset(json)}
      WHERE EXISTS (SELECT 1 FROM users x WHERE x.external_id = v."externalId" AND x.deleted_at IS NULL AND x.email <> v."email")`;
}

/** The users whose externalId another live user has: not written (see externalIdTakenQuery). */
const EXTERNAL_ID_FREE = `NOT EXISTS (SELECT 1 FROM users x WHERE x.external_id = v."externalId" AND x.deleted_at IS NULL AND x.email <> v."email")`;

/**
 * UPSERT's update of existing users: only the file's columns; blank role, flags and password
 * keep the current value. Rows whose values are all unchanged are left alone (no version bump):
 * they count as skipped.
 */
export function updateRowsQuery(json: string, present: ReadonlySet<ImportedField>, actorId: string | null): Prisma.Sql {
  const assignments = importAssignments(present);
  const set = Prisma.raw(assignments.map(([c, e]) => `${c} = ${e}`).join(', '));
  const current = Prisma.raw(assignments.map(([c]) => `u.${c}`).join(', '));
  const next = Prisma.raw(assignments.map(([, e]) => e).join(', '));
  return Prisma.sql`
      UPDATE users u SET ${set}, updated_by_id = ${actorId}::uuid, updated_at = now(), version = u.version + 1
      FROM ${importRecordset(json)}
      WHERE u.email = v."email" AND u.deleted_at IS NULL AND ROW(${current}) IS DISTINCT FROM ROW(${next})
        AND ${Prisma.raw(EXTERNAL_ID_FREE)}
      RETURNING u.id::text AS id, u.email`;
}

/**
 * New users, in file order. `onlyNew` (UPSERT): rows whose email a live user has were updated,
 * not inserted. INSERT and SKIP_EXISTING leave such rows to ON CONFLICT (the caller tells them
 * apart by the emails returned).
 */
export function insertRowsQuery(json: string, actorId: string | null, onlyNew: boolean): Prisma.Sql {
  const { columns, values } = importInsert();
  const newOnly = onlyNew
    ? Prisma.sql`AND NOT EXISTS (SELECT 1 FROM users x WHERE x.email = v."email" AND x.deleted_at IS NULL)`
    : Prisma.empty;
  return Prisma.sql`
    INSERT INTO users (id, ${Prisma.raw(columns)}, created_by_id, updated_by_id)
    SELECT gen_random_uuid(), ${Prisma.raw(values)}, ${actorId}::uuid, ${actorId}::uuid
    FROM ${importRecordset(json)}
    WHERE ${Prisma.raw(EXTERNAL_ID_FREE)} ${newOnly}
    ORDER BY v."row"
    ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING
    RETURNING id::text AS id, email`;
}
