// The only place that talks to the database about the import tables: the user_imports record and
// its stored row errors. A chunk's record is written in the chunk's unit of work (see
// import.writer.ts) with its users and its event, so the record always says exactly which rows
// were written.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { UserImport as UserImportRow } from '../../generated/prisma/client.js';
import { rowsOf } from '../../db/rows.js';
import type { ImportFailure, ImportMode, ImportRecord, ImportRowError, ImportStatus } from './import.model.js';

type Tx = Prisma.TransactionClient;

/** What one committed chunk adds to its import's record (counters are increments). */
export interface ChunkTally {
  /** Data rows read so far. */
  totalRows: number;
  processedRows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errorCount: number;
  lastCommittedRow: number;
  /** Row errors to store, numbered from firstSeq. */
  storedErrors: ImportRowError[];
  firstSeq: number;
}

/** A chunk's transaction may wait for the chunk before it, so it gets longer than the default. */
const CHUNK_TIMEOUT_MS = 120_000;

const idRows = rowsOf('abandoned imports', z.object({ id: z.string() }));

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
    const rows = idRows(
      await this.prisma.$queryRaw`
      UPDATE user_imports SET status = 'FAILED', failure_code = ${code}, finished_at = now(), updated_at = now(),
        failure_message = 'The server running this import stopped without finishing it; rows up to row '
          || last_committed_row || ' were committed as reported'
      WHERE status = 'RUNNING' ${stale}
      RETURNING id::text AS id`,
    );
    if (rows.length === 0) return [];
    const ended = await this.prisma.userImport.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return ended.map(toRecord);
  }

  /** One unit of work on the import's database: a chunk's users, its record and its event. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { timeout: CHUNK_TIMEOUT_MS, maxWait: CHUNK_TIMEOUT_MS });
  }

  /** Adds a committed chunk to the import's record (in the chunk's transaction); returns the record. */
  async recordChunk(tx: Tx, importId: string, tally: ChunkTally): Promise<{ record: ImportRecord; cancelRequested: boolean }> {
    if (tally.storedErrors.length) await insertErrors(tx, importId, tally.firstSeq, tally.storedErrors);
    const row = await tx.userImport.update({
      where: { id: importId },
      data: {
        totalRows: tally.totalRows,
        processedRows: { increment: tally.processedRows },
        created: { increment: tally.created },
        updated: { increment: tally.updated },
        skipped: { increment: tally.skipped },
        failed: { increment: tally.failed },
        errorCount: { increment: tally.errorCount },
        lastCommittedRow: tally.lastCommittedRow,
      },
    });
    return { record: toRecord(row), cancelRequested: row.cancelRequestedAt !== null };
  }
}

async function insertErrors(tx: Tx, importId: string, firstSeq: number, errors: ImportRowError[]): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO user_import_errors (import_id, seq, row, email, field, code, message)
    SELECT ${importId}::uuid, e.* FROM unnest(
      ${errors.map((_, i) => firstSeq + i)}::int[], ${errors.map((e) => e.row)}::int[], ${errors.map((e) => e.email)}::text[],
      ${errors.map((e) => e.field.slice(0, 64))}::text[], ${errors.map((e) => e.code)}::text[], ${errors.map((e) => e.message.slice(0, 1000))}::text[]
    ) AS e(seq, row, email, field, code, message)`;
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
