// The rules for imports: imports.run only, option defaults, starting a run (and waiting for it or
// not), reading, cancelling, and the progress stream. Transport-agnostic: the GraphQL resolver
// and the operator CLI both come through here.
import { assertCan } from '../../auth/policy.js';
import { actorId, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { toStorableText } from '../../text.js';
import { assertUuid } from '../user.validation.js';
import { IMPORT_FAILURE_CODES, ImportNotFoundError } from './import.error.js';
import { noImportEvents, type ImportEventRecorder } from './import.event.js';
import {
  IMPORT_MODES,
  isFinished,
  MAX_ERRORS_PAGE,
  type ImportOptions,
  type ImportRecord,
  type ImportRowError,
  type ImportSource,
  type ImportTuning,
} from './import.model.js';
import { ImportRunner, ServerStopping } from './import.runner.js';
import type { ImportProgressBus } from './import.progress.js';
import type { ImportsRepository } from './import.repository.js';
import type { PasswordHashPool } from './password.pool.js';
import type { UserRowsRepository } from './user-row.repository.js';

export interface ImportServiceOptions {
  repository: ImportsRepository;
  hasher: PasswordHashPool;
  bus: ImportProgressBus;
  clock: Clock;
  log: Logger;
  maxRows: number;
  /** UPLOAD_MAX_BYTES: what the GraphQL upload path enforces. */
  uploadMaxBytes: number;
  events?: ImportEventRecorder;
  /** config.tuning.import (defaultTuning in src/config.ts). */
  tuning: ImportTuning;
  /** The users table's writer (built with the database's COPY). */
  users?: UserRowsRepository;
}

export class ImportService {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<ImportRecord> }>();
  private readonly tuning: ImportTuning;
  private readonly events: ImportEventRecorder;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly options: ImportServiceOptions) {
    this.tuning = options.tuning;
    this.events = options.events ?? noImportEvents;
  }

  /**
   * For a server: ends imports left RUNNING by a process that died, then keeps sweeping at every
   * heartbeat. `alone`: no other process can be running imports on this database (the embedded
   * one), so every RUNNING import found now is abandoned.
   */
  async startHousekeeping(alone: boolean): Promise<void> {
    await this.sweepAbandoned(alone ? null : this.tuning.abandonedAfterMs);
    this.sweeping = true;
    this.beat();
  }

  /** Starts the heartbeat (once): whatever process runs an import (server or CLI) marks it alive. */
  private beat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.housekeep(), this.tuning.heartbeatMs);
    this.timer.unref();
  }

  private async housekeep(): Promise<void> {
    try {
      await this.options.repository.heartbeat([...this.running.keys()]);
      if (this.sweeping) await this.sweepAbandoned(this.tuning.abandonedAfterMs);
    } catch (error) {
      this.options.log.warn({ err: error }, 'import housekeeping failed; retrying at the next beat');
    }
  }

  /**
   * Ends the RUNNING imports not marked alive for `silentMs` (null: all, when no other process
   * can be running one) and tells their progress subscribers.
   */
  async sweepAbandoned(silentMs: number | null): Promise<ImportRecord[]> {
    const ended = await this.options.repository.failAbandoned(silentMs, IMPORT_FAILURE_CODES.INTERRUPTED);
    for (const record of ended) {
      this.options.log.warn({ importId: record.id, lastCommittedRow: record.lastCommittedRow }, 'ended an import abandoned by a stopped process');
      this.publish(record);
    }
    return ended;
  }

  get uploadMaxBytes(): number {
    return this.options.uploadMaxBytes;
  }

  /**
   * Starts an import of `source`. With wait (the default) resolves with the finished import;
   * otherwise with the RUNNING import at once. File problems end as status FAILED with
   * `failure`, never as a thrown error, so a caller always gets the import's id and counters.
   */
  async start(principal: Principal, source: ImportSource, input: Partial<ImportOptions> = {}): Promise<ImportRecord> {
    const options: ImportOptions = { mode: input.mode ?? 'INSERT', dryRun: input.dryRun ?? false, wait: input.wait ?? true };
    // The name is the client's to choose and only shown back: cleaned, never a reason to refuse.
    const filename = toStorableText(source.filename || 'upload.csv', 255);
    let record: ImportRecord;
    try {
      assertCan(principal, 'imports.run');
      if (!IMPORT_MODES.includes(options.mode)) throw BadUserInputError.field('options.mode', `must be one of ${IMPORT_MODES.join(', ')}`);
      record = await this.options.repository.create({ filename, mode: options.mode, dryRun: options.dryRun, startedById: principal.userId });
    } catch (error) {
      // The source is ours from the call on: an import that never starts releases it (for an
      // upload, its temporary file) instead of leaving it open until the process ends.
      source.stream.destroy();
      throw error;
    }
    this.options.log.info({ importId: record.id, filename, mode: options.mode, dryRun: options.dryRun, by: principal.userId }, 'import started');

    const controller = new AbortController();
    const runner = new ImportRunner(
      {
        repository: this.options.repository,
        ...(this.options.users ? { users: this.options.users } : {}),
        hasher: this.options.hasher,
        events: this.events,
        clock: this.options.clock,
        log: this.options.log,
        tuning: this.tuning,
        maxRows: this.options.maxRows,
        progress: (r) => this.publish(r),
      },
      { record, options, source, actorId: actorId(principal), actorSubject: principal.userId, signal: controller.signal },
    );
    const done = runner.run().then((final) => {
      this.running.delete(record.id);
      this.options.log.info(
        { importId: final.id, status: final.status, created: final.created, updated: final.updated, skipped: final.skipped, failed: final.failed, failure: final.failure?.code },
        'import ended',
      );
      return final;
    });
    this.running.set(record.id, { controller, done });
    this.beat();
    return options.wait ? done : record;
  }

  /** Progress is best effort: a stuck subscriber (full buffer) must never stop an import. */
  private publish(record: ImportRecord): void {
    try {
      this.options.bus.publish(record.id, record);
    } catch (error) {
      this.options.log.warn({ err: error, importId: record.id }, 'could not publish import progress');
    }
  }

  async get(principal: Principal, id: string): Promise<ImportRecord | null> {
    assertCan(principal, 'imports.run');
    return this.options.repository.findById(assertUuid(id));
  }

  async errors(principal: Principal, importId: string, first: number): Promise<ImportRowError[]> {
    assertCan(principal, 'imports.run');
    if (!Number.isInteger(first) || first < 0 || first > MAX_ERRORS_PAGE) {
      throw BadUserInputError.field('first', `must be between 0 and ${MAX_ERRORS_PAGE}`);
    }
    return first === 0 ? [] : this.options.repository.errors(importId, first);
  }

  /**
   * Stops a running import after the chunk being written (committed chunks stay). Idempotent:
   * a finished import is returned as it is.
   */
  async cancel(principal: Principal, id: string): Promise<ImportRecord> {
    assertCan(principal, 'imports.run');
    const importId = assertUuid(id);
    const current = await this.options.repository.findById(importId);
    if (!current) throw new ImportNotFoundError(importId);
    if (isFinished(current)) return current;
    // The flag reaches the runner in another process at its next commit; here, at once.
    await this.options.repository.requestCancel(importId, this.options.clock.now());
    const local = this.running.get(importId);
    if (!local) return (await this.options.repository.findById(importId)) ?? current;
    this.options.log.info({ importId, by: principal.userId }, 'import cancel requested');
    local.controller.abort();
    return local.done;
  }

  /** The import now, then after every committed chunk, ending with its final state. */
  async *progress(principal: Principal, id: string): AsyncGenerator<ImportRecord> {
    assertCan(principal, 'imports.run');
    const importId = assertUuid(id);
    // Listen before reading the current state, so no update can fall in between.
    const updates = this.options.bus.subscribe(importId);
    let next = updates.next();
    try {
      let last = await this.options.repository.findById(importId);
      if (!last) throw new ImportNotFoundError(importId);
      yield last;
      while (!isFinished(last)) {
        const update = await next;
        if (update.done) return;
        next = updates.next();
        // An update older than the state already sent (read before it) is skipped.
        const record = update.value;
        if (!isFinished(record) && record.processedRows < last.processedRows) continue;
        last = record;
        yield last;
      }
    } finally {
      await updates.return?.();
    }
  }

  /** On shutdown: running imports stop after their current chunk and are marked FAILED. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const running = [...this.running.values()];
    for (const r of running) r.controller.abort(new ServerStopping());
    await Promise.all(running.map((r) => r.done));
    await this.options.hasher.close();
  }
}
