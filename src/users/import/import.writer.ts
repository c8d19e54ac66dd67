// Writes an import's chunks: up to `writers` at once, each on its own connection, committing in
// file order. A chunk is one unit of work: its users (the users table's writer), the import's
// record (counters, row errors) and its event commit together or not at all.
//
// Why concurrent: index maintenance on users is most of an import's cost and runs in the
// database backend, so a second writer puts the second core to work. Why ordered: the record
// promises that every row up to lastCommittedRow was written and nothing after it. So a chunk
// writes its users while the chunk before it is still running, then waits for that one to commit
// before it records anything; if that one failed, this one rolls back too (and so, in turn, does
// every chunk sent after it).
import { IMPORT_FAILURE_CODES, ImportFailedError } from './import.error.js';
import type { ImportChunkEvent, ImportEventRecorder } from './import.event.js';
import type { ImportRecord } from './import.model.js';
import type { ChunkTally, ImportsRepository } from './import.repository.js';
import type { ChunkRows } from './import.chunk.js';
import type { UserRowsRepository, UserRowsWrite, WrittenUsers } from './user-row.repository.js';

export interface ChunkWriterDeps {
  imports: ImportsRepository;
  users: UserRowsRepository;
  events: ImportEventRecorder;
}

/** One chunk, as the runner hands it over. */
export interface ChunkJob {
  /** 1-based, in file order. */
  number: number;
  /** File rows (header = 1) the chunk covers, inclusive. */
  fromRow: number;
  toRow: number;
  /** The valid rows; written once `ready` settles (their plaintext passwords hashed). */
  rows: ChunkRows;
  ready: Promise<unknown>;
  write: UserRowsWrite;
  /** The chunk's event without the ids written; null records none (a dry run). */
  event: Omit<ImportChunkEvent, 'createdIds' | 'updatedIds'> | null;
  /**
   * What the chunk adds to the import's record, given the users it wrote. Called inside the
   * chunk's transaction once every earlier chunk has committed, so the runner's row outcomes and
   * error budget see those chunks' results.
   */
  tally(written: WrittenUsers): ChunkTally;
  /** After the commit, in file order. */
  committed(outcome: { record: ImportRecord; cancelRequested: boolean; tally: ChunkTally }): void;
}

export class ChunkWriter {
  /** Chunks sent and not yet known to have settled, oldest first (at most `writers`). */
  private inFlight: Promise<void>[] = [];

  constructor(
    private readonly deps: ChunkWriterDeps,
    private readonly importId: string,
    private readonly writers: number,
  ) {}

  /** Resolves once another chunk may be sent; rejects with the first chunk that failed. */
  free(): Promise<void> {
    return this.drain(Math.max(1, this.writers) - 1);
  }

  /** Starts writing `job` (call free() first); it commits after every chunk sent before it. */
  send(job: ChunkJob): void {
    const commit = this.commit(job, this.inFlight.at(-1) ?? Promise.resolve());
    commit.catch(() => undefined); // surfaces when free() or drain() reaches it
    this.inFlight.push(commit);
  }

  /** Waits until at most `limit` chunks are in flight; rethrows the first one that failed. */
  async drain(limit = 0): Promise<void> {
    while (this.inFlight.length > limit) {
      await this.inFlight[0];
      this.inFlight = this.inFlight.slice(1);
    }
  }

  /** After a failure: waits for every chunk sent, so the import's record is final. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async commit(job: ChunkJob, previous: Promise<void>): Promise<void> {
    await job.ready;
    const { imports, users, events } = this.deps;
    const { outcome, recorded } = await imports.transaction(async (tx) => {
      const written = await users.write(tx, job.rows, job.write);
      await previous.catch(() => {
        throw new Error(`chunk ${job.number - 1} did not commit, so chunk ${job.number} rolls back`);
      });
      const tally = job.tally(written);
      const { record, cancelRequested } = await imports.recordChunk(tx, this.importId, tally);
      // Another instance ended this import as abandoned (this process was silent too long): the
      // record is final, so this chunk must not land.
      if (record.status !== 'RUNNING') {
        throw new ImportFailedError(
          IMPORT_FAILURE_CODES.INTERRUPTED,
          `The import was ended as abandoned while chunk ${job.number} was being written; rows up to row ${job.fromRow - 1} were committed as reported`,
        );
      }
      const stored = job.event
        ? await events.chunkCommitted(tx, {
            ...job.event,
            createdIds: [...written.created.values()],
            updatedIds: [...written.updated.values()],
          })
        : [];
      return { outcome: { record, cancelRequested, tally }, recorded: stored };
    });
    if (recorded.length) events.afterCommit?.(recorded);
    job.committed(outcome);
  }
}
