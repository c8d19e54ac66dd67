// Runs one import from the first byte to the final status. Records are validated as they are
// parsed and gathered into chunks; each chunk is hashed (plaintext passwords, on the worker
// pool) and handed to the chunk writer while the next one is being parsed. Up to tuning.writers
// chunks are written at once, committing in file order (see import.writer.ts), so at most
// writers + 1 chunks exist at a time, whatever the file size. The runner decides each row's
// outcome (written, skipped, a row error) and how many row errors are stored. On failure or
// cancellation the chunk being gathered is dropped: exactly the committed chunks stay, and the
// record says which rows.
import type { Clock } from '../../clock.js';
import { failureLevel } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ChunkRows } from './import.chunk.js';
import { IMPORTED_FIELDS, type ImportedField, type ImportRowEncoding } from '../user.columns.js';
import { parseHeader, rowError, toCandidate, type HeaderLayout } from './import.column.js';
import { IMPORT_FAILURE_CODES, ImportFailedError, ROW_ERROR_CODES } from './import.error.js';
import type { ImportEventRecorder } from './import.event.js';
import type { ImportFailure, ImportOptions, ImportRecord, ImportRowError, ImportSource, ImportTuning } from './import.model.js';
import { ChunkWriter, type ChunkJob } from './import.writer.js';
import type { ChunkTally, ImportsRepository } from './import.repository.js';
import { describeStreamError, readRecords } from './import.source.js';
import type { PasswordHashPool } from './password.pool.js';
import { SeenEmails } from './seen-email.set.js';
import { UserRowsRepository, type WrittenUsers } from './user-row.repository.js';

export interface RunnerDeps {
  repository: ImportsRepository;
  /** The users table's writer (default: the real one; tests may wrap it). */
  users?: UserRowsRepository;
  hasher: PasswordHashPool;
  events: ImportEventRecorder;
  clock: Clock;
  log: Logger;
  tuning: ImportTuning;
  maxRows: number;
  /** Called with the record after every committed chunk and at the end. */
  progress: (record: ImportRecord) => void;
}

export interface RunRequest {
  record: ImportRecord;
  options: ImportOptions;
  source: ImportSource;
  actorId: string | null;
  actorSubject: string | null;
  signal: AbortSignal;
}

interface Chunk {
  fromRow: number;
  toRow: number;
  rows: ChunkRows;
  invalid: ImportRowError[];
  invalidRows: number;
  hashes: Promise<void>[];
}

class Cancelled extends Error {}

/** Abort reason when the process stops: the import fails (not cancelled: nobody asked). */
export class ServerStopping extends Error {
  constructor() {
    super('The server stopped during the import');
  }
}

export class ImportRunner {
  private layout: HeaderLayout | undefined;
  private readonly seen = new SeenEmails();
  /** External ids are unique too: a second row with one is a row error, as a second email is. */
  private readonly seenExternalIds = new SeenEmails();
  private chunk: Chunk;
  private chunks = 0;
  private dataRows = 0;
  private readonly writer: ChunkWriter;
  /** How chunks keep their rows: in the form the users writer will send them. */
  private readonly encoding: ImportRowEncoding;
  private gate: Promise<void> | undefined;
  private record: ImportRecord;
  private storedErrors = 0;
  private cancelRequested = false;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly request: RunRequest,
  ) {
    this.record = request.record;
    this.gate = request.source.complete;
    const users = deps.users ?? new UserRowsRepository();
    this.encoding = users.encoding(request.options);
    this.chunk = this.newChunk(2);
    this.writer = new ChunkWriter({ imports: deps.repository, users, events: deps.events }, request.record.id, deps.tuning.writers);
  }

  /** Never throws: every ending is recorded on the import and returned. */
  async run(): Promise<ImportRecord> {
    const { signal, source } = this.request;
    const stop = () => source.stream.destroy();
    signal.addEventListener('abort', stop, { once: true });
    let status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' = 'SUCCEEDED';
    let failure: ImportFailure | null = null;
    try {
      await this.consume();
      await this.seal();
      await this.writer.drain();
    } catch (error) {
      // Commits already sent may still succeed: wait for them so the record is exact.
      await this.writer.settle();
      if (signal.reason instanceof ServerStopping) {
        status = 'FAILED';
        failure = {
          code: IMPORT_FAILURE_CODES.INTERRUPTED,
          message: `The server stopped during the import; rows up to row ${this.record.lastCommittedRow} were committed as reported`,
        };
      } else if (error instanceof Cancelled || signal.aborted || this.cancelRequested) {
        status = 'CANCELLED';
      } else {
        status = 'FAILED';
        failure = this.describe(error);
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
    try {
      this.record = await this.deps.repository.finish(this.record.id, status, failure, this.dataRows, this.deps.clock.now());
    } catch (error) {
      this.deps.log.error({ err: error, importId: this.record.id }, 'could not record the end of an import');
      this.record = { ...this.record, status, failure, totalRows: this.dataRows, finishedAt: this.deps.clock.now() };
    }
    this.deps.progress(this.record);
    return this.record;
  }

  private async consume(): Promise<void> {
    const { tuning } = this.deps;
    let row = 0;
    for await (const batch of readRecords(this.request.source.stream, tuning.maxRecordChars)) {
      for (const cells of batch) {
        row += 1;
        // Blank lines (and leading ones before the header) are skipped but keep their row number.
        if (cells.length === 0 || (cells.length === 1 && cells[0]!.trim() === '')) continue;
        if (!this.layout) {
          if (cells.some((c) => c.includes('\uFFFD'))) {
            throw new ImportFailedError(IMPORT_FAILURE_CODES.NOT_TEXT, `Row ${row}: the header row is not valid UTF-8 text`);
          }
          this.layout = parseHeader(cells);
          this.chunk = this.newChunk(row + 1);
          continue;
        }
        this.dataRows += 1;
        if (this.dataRows > this.deps.maxRows) {
          throw new ImportFailedError(IMPORT_FAILURE_CODES.TOO_MANY_ROWS, `Row ${row}: the file has more than ${this.deps.maxRows} data rows (IMPORT_MAX_ROWS)`, {
            row,
          });
        }
        this.accept(cells, row);
        const c = this.chunk;
        if (c.rows.length + c.invalidRows >= tuning.chunkRows || c.hashes.length >= tuning.chunkPasswords) {
          await this.seal();
          this.chunk = this.newChunk(row + 1);
        }
      }
    }
    if (!this.layout) throw new ImportFailedError(IMPORT_FAILURE_CODES.EMPTY_FILE, 'The file is empty: expected a header row such as "email,name"');
    if (this.dataRows === 0) throw new ImportFailedError(IMPORT_FAILURE_CODES.NO_ROWS, 'The file has a header row but no data rows');
  }

  private accept(cells: string[], row: number): void {
    const chunk = this.chunk;
    chunk.toRow = row;
    const result = toCandidate(this.layout!, cells, row);
    if (!result.ok) {
      chunk.invalid.push(...result.errors);
      chunk.invalidRows += 1;
      return;
    }
    const candidate = result.candidate;
    const first = this.seen.claim(candidate.email, row);
    if (first !== 0) {
      chunk.invalid.push(rowError(row, candidate.email, 'email', ROW_ERROR_CODES.DUPLICATE_IN_FILE, `the same email is in row ${first}`));
      chunk.invalidRows += 1;
      return;
    }
    const externalId = candidate.text.externalId;
    const firstWithId = externalId ? this.seenExternalIds.claim(externalId, row) : 0;
    if (firstWithId !== 0) {
      chunk.invalid.push(rowError(row, candidate.email, 'externalId', ROW_ERROR_CODES.DUPLICATE_IN_FILE, `the same externalId is in row ${firstWithId}`));
      chunk.invalidRows += 1;
      return;
    }
    const index = chunk.rows.add(candidate);
    const password = candidate.password;
    if (password !== undefined) {
      delete candidate.password;
      if (this.request.options.dryRun) {
        // A dry run writes nothing, so it does not spend minutes hashing.
        chunk.rows.settle(index, candidate);
      } else {
        chunk.hashes.push(
          this.deps.hasher.hash(password).then((hash) => {
            candidate.passwordHash = hash;
            chunk.rows.settle(index, candidate);
          }),
        );
      }
    }
  }

  /** Hands the gathered chunk to the writer once fewer than tuning.writers chunks are in flight. */
  private async seal(): Promise<void> {
    const chunk = this.chunk;
    if (chunk.rows.length === 0 && chunk.invalidRows === 0) return;
    await this.writer.free();
    if (this.request.signal.aborted || this.cancelRequested) throw new Cancelled();
    if (this.gate) {
      await this.gate.catch((error: unknown) => {
        throw describeStreamError(error, chunk.fromRow);
      });
      this.gate = undefined;
    }
    this.chunks += 1;
    this.writer.send(this.job(chunk, this.chunks));
  }

  private job(chunk: Chunk, number: number): ChunkJob {
    const { options, actorId, actorSubject } = this.request;
    // (Every imported field is a CSV column: one that is not fails to compile here.)
    const present = new Set<ImportedField>(IMPORTED_FIELDS.filter((f) => this.layout!.present.has(f)));
    // Data rows read by the time the chunk's passwords are hashed, as the record reports them.
    let totalRows = this.dataRows;
    return {
      number,
      fromRow: chunk.fromRow,
      toRow: chunk.toRow,
      rows: chunk.rows,
      ready: Promise.all(chunk.hashes).then(() => {
        totalRows = this.dataRows;
      }),
      write: { mode: options.mode, dryRun: options.dryRun, present, actorId },
      event: options.dryRun
        ? null
        : { action: 'IMPORT', importId: this.record.id, actorId: actorSubject, mode: options.mode, chunk: number, fromRow: chunk.fromRow, toRow: chunk.toRow },
      tally: (written) => this.tally(chunk, written, totalRows),
      committed: ({ record, cancelRequested, tally }) => {
        this.storedErrors += tally.storedErrors.length;
        this.record = record;
        if (cancelRequested) this.cancelRequested = true;
        this.deps.progress(this.record);
      },
    };
  }

  /**
   * Each row's outcome once its chunk is written: written, skipped (SKIP_EXISTING, or UPSERT
   * with nothing to change), or a row error (INSERT: the email is taken); and which errors are
   * stored, within the import's budget (the chunks before this one have committed by now).
   */
  private tally(chunk: Chunk, written: WrittenUsers, totalRows: number): ChunkTally {
    const writeErrors: ImportRowError[] = [];
    let skipped = 0;
    const { emails, numbers } = chunk.rows;
    for (let i = 0; i < emails.length; i++) {
      const email = emails[i]!;
      if (written.created.has(email) || written.updated.has(email)) continue;
      if (written.externalIdTaken.has(email)) {
        writeErrors.push({ row: numbers[i]!, email, field: 'externalId', code: ROW_ERROR_CODES.EXTERNAL_ID_TAKEN, message: 'another user has this externalId' });
      } else if (this.request.options.mode === 'INSERT') {
        writeErrors.push({ row: numbers[i]!, email, field: 'email', code: ROW_ERROR_CODES.EMAIL_TAKEN, message: 'a user with this email already exists' });
      } else {
        skipped += 1;
      }
    }
    const errors = mergeByRow(chunk.invalid, writeErrors);
    const budget = this.deps.tuning.maxStoredErrors - this.storedErrors;
    return {
      totalRows,
      processedRows: chunk.rows.length + chunk.invalidRows,
      created: written.created.size,
      updated: written.updated.size,
      skipped,
      failed: chunk.invalidRows + writeErrors.length,
      errorCount: errors.length,
      lastCommittedRow: chunk.toRow,
      storedErrors: errors.slice(0, Math.max(0, budget)),
      firstSeq: this.storedErrors + 1,
    };
  }

  private newChunk(fromRow: number): Chunk {
    return { fromRow, toRow: fromRow - 1, rows: new ChunkRows(this.encoding), invalid: [], invalidRows: 0, hashes: [] };
  }

  private describe(error: unknown): ImportFailure {
    if (error instanceof ImportFailedError) return { code: error.code, message: error.message };
    this.deps.log[failureLevel(error)]({ err: error, importId: this.record.id }, 'import failed');
    return {
      code: IMPORT_FAILURE_CODES.WRITE_FAILED,
      message: `The import stopped on an unexpected error; rows up to row ${this.record.lastCommittedRow} were committed as reported`,
    };
  }
}

/** Keeps errors in file order, so errors(first: n) shows the first problems of the file. */
function mergeByRow(a: ImportRowError[], b: ImportRowError[]): ImportRowError[] {
  if (b.length === 0) return a;
  return [...a, ...b].sort((x, y) => x.row - y.row);
}
