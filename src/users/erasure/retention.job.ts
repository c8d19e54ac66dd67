// DELETED_USER_RETENTION_DAYS: users soft-deleted longer ago than that are erased (erasure.service.ts)
// by this job, in batches. USER_EVENTS_RETENTION_DAYS: events older than that, which every outbox
// relay has passed, are deleted from user_events, in batches. Every instance runs the timer; each batch is one transaction that first
// takes a PostgreSQL advisory lock (pg_try_advisory_xact_lock), so only one instance erases at a
// time and another that finds the lock taken skips its turn. The lock ends with the transaction:
// a crashed instance holds nothing. Both unset (the default): the job never runs; deleted users
// and events are kept.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { Clock } from '../../clock.js';
import { failureLevel } from '../../errors.js';
import type { EventsService } from '../../events/event.service.js';
import type { Logger } from '../../logger.js';
import { z } from 'zod';
import { oneRowOf } from '../../db/rows.js';
import { ErasureRepository } from './erasure.repository.js';
import type { ErasureService } from './erasure.service.js';

/** Any constant the application owns: the advisory lock's key ("users retention"). */
const LOCK_KEY = 0x75_72_65_74; // 'uret'
const DAY_MS = 86_400_000;
const lockRow = oneRowOf('retention lock', z.object({ locked: z.boolean() }));

export interface RetentionOptions {
  /** Users per transaction. */
  batchSize: number;
  /** Between runs. */
  intervalMs: number;
}

export class DeletedUserRetention {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private run: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly prisma: PrismaClient,
    private readonly erasure: ErasureService,
    private readonly events: EventsService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly periods: { deletedUsers?: number | undefined; events?: number | undefined },
    /** The /metrics counters (retention_users_erased_total, retention_events_pruned_total). */
    private readonly counted: { erased(n: number): void; pruned(n: number): void },
    private readonly options: RetentionOptions = { batchSize: 100, intervalMs: 3_600_000 },
  ) {}

  private get days(): number | undefined {
    return this.periods.deletedUsers;
  }

  start(): void {
    if ((this.periods.deletedUsers === undefined && this.periods.events === undefined) || this.running) return;
    this.running = true;
    this.log.info({ deletedUserDays: this.periods.deletedUsers, eventDays: this.periods.events }, 'retention job started');
    this.schedule(0);
  }

  /** Deletes events older than USER_EVENTS_RETENTION_DAYS that every relay has delivered; returns how many. */
  async pruneEvents(): Promise<number> {
    const days = this.periods.events;
    if (days === undefined) return 0;
    const cutoff = new Date(this.clock.now().getTime() - days * DAY_MS);
    const batch = this.options.batchSize * 50;
    let pruned = 0;
    for (;;) {
      const deleted = await this.prisma.$transaction(async (tx) => {
        const { locked } = lockRow(
          await tx.$queryRaw(Prisma.sql`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}::bigint) AS locked`),
        );
        return locked ? new ErasureRepository(tx).pruneEvents(cutoff, batch) : null;
      });
      if (deleted === null) break;
      pruned += deleted;
      this.counted.pruned(deleted);
      if (deleted < batch) break;
    }
    if (pruned > 0) this.log.info({ pruned, days, cutoff }, 'pruned events older than the retention period');
    return pruned;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.run.catch(() => undefined);
  }

  /**
   * Erases every user deleted longer ago than the retention period, batch after batch; returns
   * how many. 0 when retention is off or another instance holds the lock.
   */
  async runOnce(): Promise<number> {
    const days = this.days;
    if (days === undefined) return 0;
    const cutoff = new Date(this.clock.now().getTime() - days * DAY_MS);
    let erased = 0;
    for (;;) {
      const { ids, stored } = await this.prisma.$transaction(
        async (tx) => {
          const { locked } = lockRow(
            await tx.$queryRaw(Prisma.sql`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}::bigint) AS locked`),
          );
          if (!locked) return { ids: null, stored: [] };
          const ids = await new ErasureRepository(tx).deletedBefore(cutoff, this.options.batchSize);
          return { ids, stored: await this.erasure.eraseForRetention(tx, ids, days) };
        },
        { timeout: 120_000 },
      );
      this.events.committed(stored);
      if (ids === null) break;
      erased += ids.length;
      this.counted.erased(ids.length);
      if (ids.length < this.options.batchSize) break;
    }
    if (erased > 0) this.log.info({ erased, days, cutoff }, 'erased users deleted before the retention cutoff');
    return erased;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.run = this.runOnce()
        .then(() => this.pruneEvents())
        .catch((error: unknown) => this.log[failureLevel(error)]({ err: error }, 'retention run failed'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
