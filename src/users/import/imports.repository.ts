// The only place that talks to the database about imports: the user_imports record, its stored
// row errors, and the bulk writes of one chunk of users. A chunk is one transaction: its users,
// its row errors, the import's counters and its event commit together or not at all, so the
// record always says exactly which rows were written.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { UserImport as UserImportRow } from '../../generated/prisma/client.js';
import type { ChunkRows } from './import.chunk.js';
import type { TextColumn } from './import.columns.js';
import { IMPORT_FAILURE_CODES, ImportFailedError, ROW_ERROR_CODES } from './import.errors.js';
import type { ImportChunkEvent, ImportEventRecorder } from './import.events.js';
import type { ImportFailure, ImportMode, ImportRecord, ImportRowError, ImportStatus } from './import.model.js';

export interface ChunkWrite {
  importId: string;
  /** For the users' audit columns: a user id, or null (system, external subject). */
  actorId: string | null;
  /** For the event: the principal's subject. */
  actorSubject: string | null;
  mode: ImportMode;
  dryRun: boolean;
  /** Text columns the file has: only these are set on existing users. */
  textColumns: readonly TextColumn[];
  hasRole: boolean;
  hasActive: boolean;
  hasVerified: boolean;
  /** Valid rows, their plaintext passwords already hashed into passwordHash. */
  rows: ChunkRows;
  /** Row errors found before writing (validation, duplicates in the file). */
  invalid: ImportRowError[];
  /** Rows with at least one error among `invalid`. */
  invalidRows: number;
  chunk: number;
  fromRow: number;
  toRow: number;
  /** Data rows read so far. */
  totalRows: number;
  /**
   * How many more row errors may be stored, and the next error's sequence number. Asked once the
   * previous chunk has committed, since that chunk's errors count.
   */
  errorBudget: () => { storeErrors: number; errorSeq: number };
  /**
   * The previous chunk's commit. This chunk writes its users while that one is still running
   * (on another connection), then waits for it before recording anything: chunks commit in file
   * order, and if the previous one failed this one rolls back, so "every row up to
   * lastCommittedRow" stays exact.
   */
  previous?: Promise<void>;
}

export interface ChunkOutcome {
  record: ImportRecord;
  /** What the event recorder returned (handed to its afterCommit). */
  recorded: unknown;
  /** Row errors found while writing (INSERT mode: the email is taken). */
  writeErrors: ImportRowError[];
  storedErrors: number;
  cancelRequested: boolean;
}

const CHUNK_TIMEOUT_MS = 120_000;

const TEXT_SQL: Record<TextColumn, string> = {
  name: 'name',
  firstName: 'first_name',
  lastName: 'last_name',
  phoneNumber: 'phone_number',
  avatarUrl: 'avatar_url',
};

export class ImportsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(data: { filename: string; mode: ImportMode; dryRun: boolean; startedById: string | null }): Promise<ImportRecord> {
    return toRecord(await this.prisma.userImport.create({ data }));
  }

  async findById(id: string): Promise<ImportRecord | null> {
    const row = await this.prisma.userImport.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async errors(importId: string, first: number): Promise<ImportRowError[]> {
    return this.prisma.userImportError.findMany({
      where: { importId },
      orderBy: { seq: 'asc' },
      take: first,
      select: { row: true, email: true, field: true, code: true, message: true },
    });
  }

  /** Flags a running import for cancellation (seen by whichever process runs it). */
  async requestCancel(id: string, at: Date): Promise<void> {
    await this.prisma.userImport.updateMany({ where: { id, status: 'RUNNING', cancelRequestedAt: null }, data: { cancelRequestedAt: at } });
  }

  async finish(id: string, status: Exclude<ImportStatus, 'RUNNING'>, failure: ImportFailure | null, totalRows: number, at: Date): Promise<ImportRecord> {
    const row = await this.prisma.userImport.update({
      where: { id },
      data: { status, failureCode: failure?.code ?? null, failureMessage: failure?.message.slice(0, 2000) ?? null, totalRows, finishedAt: at },
    });
    return toRecord(row);
  }

  /** Marks imports this process is running as alive (database time: instances' clocks may differ). */
  async heartbeat(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.prisma.$executeRaw`UPDATE user_imports SET updated_at = now() WHERE status = 'RUNNING' AND id = ANY(${ids}::uuid[])`;
  }

  /**
   * Ends RUNNING imports not marked alive for `silentMs` (null: all of them) as FAILED, naming
   * the last committed row, and returns them. One statement: two instances sweeping at once end
   * each import once.
   */
  async failAbandoned(silentMs: number | null, code: string): Promise<ImportRecord[]> {
    const stale = silentMs === null ? Prisma.empty : Prisma.sql`AND updated_at < now() - make_interval(secs => ${silentMs / 1000})`;
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE user_imports SET status = 'FAILED', failure_code = ${code}, finished_at = now(), updated_at = now(),
        failure_message = 'The server running this import stopped without finishing it; rows up to row '
          || last_committed_row || ' were committed as reported'
      WHERE status = 'RUNNING' ${stale}
      RETURNING id::text AS id`;
    if (rows.length === 0) return [];
    const ended = await this.prisma.userImport.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return ended.map(toRecord);
  }

  /** Writes one chunk atomically (a dry run rolls the users back and keeps the counters). */
  async commitChunk(input: ChunkWrite, events: ImportEventRecorder): Promise<ChunkOutcome> {
    return this.prisma.$transaction(
      async (tx) => {
        if (input.dryRun) await tx.$executeRawUnsafe('SAVEPOINT import_dry_run');
        const written = await writeUsers(tx, input);
        if (input.dryRun) await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT import_dry_run');
        if (input.previous) {
          await input.previous.catch(() => {
            throw new Error(`chunk ${input.chunk - 1} did not commit, so chunk ${input.chunk} rolls back`);
          });
        }

        const writeErrors: ImportRowError[] = [];
        let skipped = 0;
        const { emails, numbers } = input.rows;
        for (let i = 0; i < emails.length; i++) {
          const email = emails[i]!;
          if (written.created.has(email) || written.updated.has(email)) continue;
          if (input.mode === 'INSERT') {
            writeErrors.push({ row: numbers[i]!, email, field: 'email', code: ROW_ERROR_CODES.EMAIL_TAKEN, message: 'a user with this email already exists' });
          } else {
            skipped += 1;
          }
        }
        const errors = mergeByRow(input.invalid, writeErrors);
        const budget = input.errorBudget();
        const stored = errors.slice(0, Math.max(0, budget.storeErrors));
        if (stored.length) await insertErrors(tx, input.importId, budget.errorSeq, stored);

        const row = await tx.userImport.update({
          where: { id: input.importId },
          data: {
            totalRows: input.totalRows,
            processedRows: { increment: input.rows.length + input.invalidRows },
            created: { increment: written.created.size },
            updated: { increment: written.updated.size },
            skipped: { increment: skipped },
            failed: { increment: input.invalidRows + writeErrors.length },
            errorCount: { increment: errors.length },
            lastCommittedRow: input.toRow,
          },
        });
        // Another instance ended this import as abandoned (this process was silent too long):
        // the record is final, so this chunk must not land.
        if (row.status !== 'RUNNING') {
          throw new ImportFailedError(
            IMPORT_FAILURE_CODES.INTERRUPTED,
            `The import was ended as abandoned while chunk ${input.chunk} was being written; rows up to row ${input.fromRow - 1} were committed as reported`,
          );
        }
        let recorded: unknown;
        if (!input.dryRun) {
          const event: ImportChunkEvent = {
            action: 'IMPORT',
            importId: input.importId,
            actorId: input.actorSubject,
            mode: input.mode,
            chunk: input.chunk,
            fromRow: input.fromRow,
            toRow: input.toRow,
            createdIds: [...written.created.values()],
            updatedIds: [...written.updated.values()],
          };
          recorded = await events.chunkCommitted(tx, event);
        }
        return { record: toRecord(row), recorded, writeErrors, storedErrors: stored.length, cancelRequested: row.cancelRequestedAt !== null };
      },
      { timeout: CHUNK_TIMEOUT_MS, maxWait: CHUNK_TIMEOUT_MS },
    );
  }
}

type Tx = Prisma.TransactionClient;

interface Written {
  /** email → id */
  created: Map<string, string>;
  updated: Map<string, string>;
}

/**
 * One or two statements per chunk (see valuesSql). The email arbiter is the partial unique index
 * users_email_live_key: soft-deleted users do not hold their address. (Splitting a chunk into
 * ~60 KB statements to keep parameters out of V8's large-object space was tried: 12% slower, and
 * with the 1 GB heap limit of `npm start` it saved only ~13 MB of RSS.)
 */
async function writeUsers(tx: Tx, input: ChunkWrite): Promise<Written> {
  const written: Written = { created: new Map(), updated: new Map() };
  if (input.rows.length === 0) return written;
  const values = valuesSql(input.rows.toJson());
  const actor = input.actorId;

  if (input.mode === 'UPSERT') {
    // [column, new value] pairs; every string here is a constant of this file, never input.
    const assignments: [string, string][] = input.textColumns.map((c) => [TEXT_SQL[c], `v.${TEXT_SQL[c]}`]);
    // Blank role/flags/password cells mean "not given": the user keeps the current value.
    if (input.hasRole) assignments.push(['role', 'COALESCE(v.role::"Role", u.role)']);
    if (input.hasActive) assignments.push(['is_active', 'COALESCE(v.is_active, u.is_active)']);
    if (input.hasVerified) assignments.push(['is_email_verified', 'COALESCE(v.is_email_verified, u.is_email_verified)']);
    assignments.push(['password_hash', 'COALESCE(v.password_hash, u.password_hash)']);
    const set = Prisma.raw(assignments.map(([c, e]) => `${c} = ${e}`).join(', '));
    const current = Prisma.raw(assignments.map(([c]) => `u.${c}`).join(', '));
    const next = Prisma.raw(assignments.map(([, e]) => e).join(', '));
    // Rows whose values are all unchanged are left alone (no version bump): they count as skipped.
    const updated = await tx.$queryRaw<{ id: string; email: string }[]>`
      UPDATE users u SET ${set}, updated_by_id = ${actor}::uuid, updated_at = now(), version = u.version + 1
      FROM ${values}
      WHERE u.email = v.email AND u.deleted_at IS NULL AND ROW(${current}) IS DISTINCT FROM ROW(${next})
      RETURNING u.id::text AS id, u.email`;
    for (const r of updated) written.updated.set(r.email, r.id);
  }
  const onlyNew =
    input.mode === 'UPSERT'
      ? Prisma.sql`WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.email = v.email AND x.deleted_at IS NULL)`
      : Prisma.empty;
  const created = await tx.$queryRaw<{ id: string; email: string }[]>`
    INSERT INTO users (id, email, name, first_name, last_name, phone_number, avatar_url, role, is_active, is_email_verified, password_hash, created_by_id, updated_by_id)
    SELECT gen_random_uuid(), v.email, v.name, v.first_name, v.last_name, v.phone_number, v.avatar_url,
           COALESCE(v.role, 'USER')::"Role", COALESCE(v.is_active, true), COALESCE(v.is_email_verified, false), v.password_hash,
           ${actor}::uuid, ${actor}::uuid
    FROM ${values}
    ${onlyNew}
    ORDER BY v.ord
    ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING
    RETURNING id::text AS id, email`;
  for (const r of created) written.created.set(r.email, r.id);
  return written;
}

/**
 * Rows as one JSON parameter that PostgreSQL unpacks (json_to_recordset): one statement with a
 * handful of parameters whatever the row count, and the driver passes one string instead of
 * walking and converting every value of per-column arrays. The rows are already JSON (ChunkRows;
 * keys match this column list).
 */
function valuesSql(json: string): Prisma.Sql {
  return Prisma.sql`json_to_recordset(${json}::json) AS v(
      email text, name text, first_name text, last_name text, phone_number text, avatar_url text,
      role text, is_active boolean, is_email_verified boolean, password_hash text, ord int)`;
}

async function insertErrors(tx: Tx, importId: string, firstSeq: number, errors: ImportRowError[]): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO user_import_errors (import_id, seq, row, email, field, code, message)
    SELECT ${importId}::uuid, e.* FROM unnest(
      ${errors.map((_, i) => firstSeq + i)}::int[], ${errors.map((e) => e.row)}::int[], ${errors.map((e) => e.email)}::text[],
      ${errors.map((e) => e.field.slice(0, 64))}::text[], ${errors.map((e) => e.code)}::text[], ${errors.map((e) => e.message.slice(0, 1000))}::text[]
    ) AS e(seq, row, email, field, code, message)`;
}

/** Keeps errors in file order, so errors(first: n) shows the first problems of the file. */
function mergeByRow(a: ImportRowError[], b: ImportRowError[]): ImportRowError[] {
  if (b.length === 0) return a;
  return [...a, ...b].sort((x, y) => x.row - y.row);
}

function toRecord(row: UserImportRow): ImportRecord {
  return {
    id: row.id,
    status: row.status,
    filename: row.filename,
    mode: row.mode,
    dryRun: row.dryRun,
    totalRows: row.totalRows,
    processedRows: row.processedRows,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    failed: row.failed,
    errorCount: row.errorCount,
    lastCommittedRow: row.lastCommittedRow,
    failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? '' } : null,
    startedById: row.startedById,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
