// Runs one import from the first byte to the final status. Records are validated as they are
// parsed and gathered into chunks; each chunk is hashed (plaintext passwords, on the worker
// pool) and written in its own transaction while the next one is being parsed. Up to
// tuning.writers chunks are written at once, committing in file order (see
// ImportsRepository.commitChunk), so at most writers + 1 chunks exist at a time, whatever the
// file size. On failure or cancellation the chunk being gathered is dropped: exactly the
// committed chunks stay, and the record says which rows.
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import { failureLevel } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ChunkRows } from './import.chunk.js';
import { parseHeader, rowError, TEXT_COLUMNS, toCandidate, type HeaderLayout } from './import.columns.js';
import { IMPORT_FAILURE_CODES, ImportFailedError, ROW_ERROR_CODES } from './import.errors.js';
import type { ImportEventRecorder } from './import.events.js';
import type { ImportFailure, ImportOptions, ImportRecord, ImportRowError, ImportTuning } from './import.model.js';
import type { ImportsRepository } from './imports.repository.js';
import { describeStreamError, readRecords } from './import.source.js';
import type { PasswordHashPool } from './password-pool.js';
import { SeenEmails } from './seen-emails.js';

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

export interface RunnerDeps {
  repository: ImportsRepository;
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
  private chunk: Chunk;
  private chunks = 0;
  private dataRows = 0;
  /** Commits sent and not yet known to have settled, oldest first (at most tuning.writers). */
  private writing: Promise<void>[] = [];
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
    this.chunk = this.newChunk(2);
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
      await this.drain(0);
    } catch (error) {
      // Commits already sent may still succeed: wait for them so the record is exact.
      await Promise.allSettled(this.writing);
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

  /** Waits until at most `limit` commits are in flight; rethrows the first one that failed. */
  private async drain(limit: number): Promise<void> {
    while (this.writing.length > limit) {
      await this.writing[0];
      this.writing = this.writing.slice(1);
    }
  }

  /** Hands the gathered chunk to a writer once fewer than tuning.writers commits are in flight. */
  private async seal(): Promise<void> {
    const chunk = this.chunk;
    if (chunk.rows.length === 0 && chunk.invalidRows === 0) return;
    await this.drain(Math.max(1, this.deps.tuning.writers) - 1);
    if (this.request.signal.aborted || this.cancelRequested) throw new Cancelled();
    if (this.gate) {
      await this.gate.catch((error: unknown) => {
        throw describeStreamError(error, chunk.fromRow);
      });
      this.gate = undefined;
    }
    this.chunks += 1;
    // The next chunk commits only after the newest one sent; once drain() has passed them all,
    // they all committed.
    const commit = this.commit(chunk, this.chunks, this.writing.at(-1) ?? Promise.resolve());
    commit.catch(() => undefined); // surfaces when drain() reaches it
    this.writing.push(commit);
  }

  private async commit(chunk: Chunk, number: number, previous: Promise<void>): Promise<void> {
    await Promise.all(chunk.hashes);
    const layout = this.layout!;
    const outcome = await this.deps.repository.commitChunk(
      {
        importId: this.record.id,
        actorId: this.request.actorId,
        actorSubject: this.request.actorSubject,
        mode: this.request.options.mode,
        dryRun: this.request.options.dryRun,
        textColumns: TEXT_COLUMNS.filter((c) => layout.present.has(c)),
        hasRole: layout.present.has('role'),
        hasActive: layout.present.has('isActive'),
        hasVerified: layout.present.has('isEmailVerified'),
        rows: chunk.rows,
        invalid: chunk.invalid,
        invalidRows: chunk.invalidRows,
        chunk: number,
        previous,
        fromRow: chunk.fromRow,
        toRow: chunk.toRow,
        totalRows: this.dataRows,
        errorBudget: () => ({ storeErrors: this.deps.tuning.maxStoredErrors - this.storedErrors, errorSeq: this.storedErrors + 1 }),
      },
      this.deps.events,
    );
    if (outcome.recorded !== undefined) this.deps.events.afterCommit?.(outcome.recorded);
    this.storedErrors += outcome.storedErrors;
    this.record = outcome.record;
    if (outcome.cancelRequested) this.cancelRequested = true;
    this.deps.progress(this.record);
  }

  private newChunk(fromRow: number): Chunk {
    return { fromRow, toRow: fromRow - 1, rows: new ChunkRows(), invalid: [], invalidRows: 0, hashes: [] };
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
