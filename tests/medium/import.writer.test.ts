// The import's chunk writer on a real database, without HTTP or a CSV: chunks written side by side
// (on PostgreSQL; the embedded database has one connection, so one writer there, as
// IMPORT_WRITERS is) commit in file order, each with its users, its import record and its event
// in one transaction, and a chunk that fails takes the chunks written beside it down with it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import type { UserEvent } from '../../src/events/user-event.model.js';
import { EventRecorder, type Tx } from '../../src/events/user-event.repository.js';
import { ChunkRows } from '../../src/users/import/import.chunk.js';
import type { ImportEventRecorder } from '../../src/users/import/import.event.js';
import { ChunkWriter, type ChunkJob } from '../../src/users/import/import.writer.js';
import { ImportsRepository } from '../../src/users/import/import.repository.js';
import { UserRowsRepository, type UserRowsWrite, type WrittenUsers } from '../../src/users/import/user-row.repository.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';

const ROWS = 10;

let db: Database;
let drop: (() => Promise<void>) | undefined;
let imports: ImportsRepository;
let writers: number;

beforeAll(async () => {
  ({ db, drop } = await openIsolatedTestDatabase());
  imports = new ImportsRepository(db.prisma);
  writers = db.kind === 'postgres' ? 3 : 1;
});
afterAll(async () => {
  await drop?.();
});

/** The users writer, with a hook that runs after a chunk's users are written (in its transaction). */
class HookedUsers extends UserRowsRepository {
  readonly order: number[] = [];
  constructor(private readonly after: (chunk: number) => Promise<void>) {
    super();
  }
  override async write(tx: Tx, rows: ChunkRows, options: UserRowsWrite): Promise<WrittenUsers> {
    const written = await super.write(tx, rows, options);
    const chunk = chunkOf.get(rows)!;
    this.order.push(chunk);
    await this.after(chunk);
    return written;
  }
}
const chunkOf = new WeakMap<ChunkRows, number>();

/** A deferred promise: settles when the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function setup(after: (chunk: number) => Promise<void>) {
  const record = await imports.create({ filename: 'medium.csv', mode: 'INSERT', dryRun: false, startedById: null });
  const tag = randomUUID().slice(0, 8);
  const recorder = new EventRecorder(db.prisma);
  const delivered: UserEvent[] = [];
  const events: ImportEventRecorder = {
    chunkCommitted: (tx, e) =>
      recorder.record(tx, {
        type: 'USER_BULK_ACTION',
        actor: e.actorId,
        payload: { action: 'IMPORT', userIds: e.createdIds },
      }),
    afterCommit: (recorded) => delivered.push(...recorded),
  };
  const users = new HookedUsers(after);
  const writer = new ChunkWriter({ imports, users, events }, record.id, writers);
  const committed: { chunk: number; lastCommittedRow: number; created: number }[] = [];
  const emails = (chunk: number) => Array.from({ length: ROWS }, (_, i) => `writer.${tag}.${chunk}.${i}@example.test`);

  function job(number: number, ready: Promise<unknown> = Promise.resolve()): ChunkJob {
    const fromRow = 2 + (number - 1) * ROWS;
    const toRow = fromRow + ROWS - 1;
    const rows = new ChunkRows();
    emails(number).forEach((email, i) => rows.add({ row: fromRow + i, email, text: {} }));
    chunkOf.set(rows, number);
    return {
      number,
      fromRow,
      toRow,
      rows,
      ready,
      write: { mode: 'INSERT', dryRun: false, present: new Set(['email']), actorId: null },
      event: { action: 'IMPORT', importId: record.id, actorId: 'system', mode: 'INSERT', chunk: number, fromRow, toRow },
      tally: (written) => ({
        totalRows: toRow - 1,
        processedRows: ROWS,
        created: written.created.size,
        updated: 0,
        skipped: 0,
        failed: 0,
        errorCount: 0,
        lastCommittedRow: toRow,
        storedErrors: [],
        firstSeq: 1,
      }),
      committed: ({ record: r }) => committed.push({ chunk: number, lastCommittedRow: r.lastCommittedRow, created: r.created }),
    };
  }

  /** Sends chunks as the runner does (a free writer first); stops at the first failure. */
  async function run(jobs: ChunkJob[]): Promise<unknown> {
    try {
      for (const j of jobs) {
        await writer.free();
        writer.send(j);
      }
      await writer.drain();
      return undefined;
    } catch (error) {
      await writer.settle();
      return error;
    }
  }

  const stored = (chunk: number) => db.prisma.user.count({ where: { email: { in: emails(chunk) } } });
  const final = async () => (await imports.findById(record.id))!;
  return { job, run, users, committed, delivered, stored, final };
}

describe('chunk writer', () => {
  it('commits chunks in file order, each with its users, its record and its event, even when a later one is written first', async () => {
    const laterWritten = gate();
    const seen = new Set<number>();
    const s = await setup((chunk) => {
      seen.add(chunk);
      if (seen.has(2) && seen.has(3)) laterWritten.open();
      return Promise.resolve();
    });
    // Chunk 1 is ready only once chunks 2 and 3 have written their users (with one writer,
    // nothing can be written beside it, so it goes first).
    const error = await s.run([s.job(1, writers > 1 ? laterWritten.promise : undefined), s.job(2), s.job(3)]);

    expect(error).toBeUndefined();
    // Chunks 2 and 3 were written (in either order) before chunk 1, and still committed after it.
    if (writers > 1) expect([...s.users.order.slice(0, 2).sort(), s.users.order[2]]).toEqual([2, 3, 1]);
    expect(s.committed).toEqual([
      { chunk: 1, lastCommittedRow: 1 + ROWS, created: ROWS },
      { chunk: 2, lastCommittedRow: 1 + 2 * ROWS, created: 2 * ROWS },
      { chunk: 3, lastCommittedRow: 1 + 3 * ROWS, created: 3 * ROWS },
    ]);
    expect([await s.stored(1), await s.stored(2), await s.stored(3)]).toEqual([ROWS, ROWS, ROWS]);
    // One event per chunk, stored in commit order, each naming exactly its chunk's users.
    expect(s.delivered).toHaveLength(3);
    const sequences = s.delivered.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
    for (const [i, event] of s.delivered.entries()) {
      expect(event.type === 'USER_BULK_ACTION' && event.payload.userIds.length).toBe(ROWS);
      const ids = event.type === 'USER_BULK_ACTION' ? event.payload.userIds : [];
      expect(await db.prisma.user.count({ where: { id: { in: ids }, email: { startsWith: 'writer.' } } })).toBe(ROWS);
      expect(i + 1).toBe(s.committed[i]!.chunk);
    }
  });

  it('a chunk that fails rolls back the chunks written beside it; the chunks before it stay, and so does the record', async () => {
    const thirdWritten = gate();
    const s = await setup(async (chunk) => {
      if (chunk === 3) thirdWritten.open();
      if (chunk === 2) {
        // With several writers, fail only once chunk 3 is written beside this one.
        if (writers > 1) await thirdWritten.promise;
        throw new Error('chunk 2 cannot be written');
      }
    });
    const error = await s.run([s.job(1), s.job(2), s.job(3)]);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('chunk 2 cannot be written');
    expect(s.users.order).toEqual(writers > 1 ? expect.arrayContaining([1, 2, 3]) : [1, 2]);
    expect(s.committed.map((c) => c.chunk)).toEqual([1]);
    expect([await s.stored(1), await s.stored(2), await s.stored(3)]).toEqual([ROWS, 0, 0]);
    expect(await s.final()).toMatchObject({ status: 'RUNNING', processedRows: ROWS, created: ROWS, lastCommittedRow: 1 + ROWS });
    expect(s.delivered).toHaveLength(1);
  });
});
