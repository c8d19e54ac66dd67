// The only code that reads or writes webhooks and webhook_deliveries. The dispatcher's statements
// (claim, renew, the cursor's compare-and-set) are raw SQL built by the exported functions below,
// which devkit/sql-catalogue.ts prints to sql/webhooks.sql for review.
//
// Leases: an instance serves an endpoint only while it holds the row's lease (lease_owner until
// lease_until, in the database's clock, so instances need not agree on time). A claim takes only
// rows whose lease has expired, under FOR UPDATE SKIP LOCKED, so two instances never claim the
// same row; a crashed holder's lease simply runs out. Every write the holder makes afterwards
// names itself (AND lease_owner = $owner): one that lost its lease (expired, or cleared by an
// admin's update) changes nothing and stops.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { oneRowOf, rowsOf } from '../db/rows.js';
import type { Tx } from '../events/user-event.repository.js';

/** An endpoint as the API shows it: everything but the secret and the lease. */
export interface WebhookRecord {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  lastDeliveredSeq: bigint;
  consecutiveFailures: number;
  failingSince: Date | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  createdBy: string | null;
  updatedAt: Date;
  updatedBy: string | null;
}

/** An endpoint the dispatcher holds the lease of: with what it needs to deliver. */
export interface ClaimedWebhook {
  id: string;
  url: string;
  secret: string;
  eventTypes: string[];
  lastDeliveredSeq: bigint;
  consecutiveFailures: number;
}

export interface DeliveryRecord {
  id: bigint;
  webhookId: string;
  eventId: string;
  eventSequence: bigint;
  eventType: string;
  attempt: number;
  succeeded: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  createdAt: Date;
}

export type NewDelivery = Omit<DeliveryRecord, 'id' | 'createdAt'>;

export interface WebhookChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
  disabledReason?: string | null;
  /** Moves the cursor (replay, or re-enabling from a given sequence). */
  lastDeliveredSeq?: bigint;
  /** Clears the failure run and the backoff: re-enabling starts afresh. */
  resetFailures?: boolean;
}

const RECORD_SELECT = {
  id: true,
  url: true,
  eventTypes: true,
  description: true,
  enabled: true,
  disabledReason: true,
  disabledAt: true,
  lastDeliveredSeq: true,
  consecutiveFailures: true,
  failingSince: true,
  nextAttemptAt: true,
  createdAt: true,
  createdBy: true,
  updatedAt: true,
  updatedBy: true,
} as const;

const claimedRows = rowsOf(
  'webhook claim',
  z.object({
    id: z.string(),
    url: z.string(),
    secret: z.string(),
    event_types: z.array(z.string()),
    last_delivered_seq: z.bigint(),
    consecutive_failures: z.number().int(),
  }),
);
const failureRows = rowsOf('webhook failure', z.object({ consecutive_failures: z.number().int(), failing_for_ms: z.number() }));
const wakeRow = oneRowOf('webhook next attempt', z.object({ next: z.date().nullable() }));
const lagRow = oneRowOf('webhook lag', z.object({ seconds: z.number().nullable() }));

/**
 * Takes the lease of up to `limit` enabled endpoints that are due (no backoff pending), not
 * leased by anyone, and have a matching event after their cursor.
 */
export function claimQuery(owner: string, leaseMs: number, limit: number): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhooks w SET lease_owner = ${owner}, lease_until = now() + ${leaseMs}::int * interval '1 millisecond'
    WHERE w.id IN (
      SELECT c.id FROM webhooks c
      WHERE c.enabled
        AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= now())
        AND (c.lease_until IS NULL OR c.lease_until < now())
        AND EXISTS (SELECT 1 FROM user_events e WHERE e.sequence > c.last_delivered_seq AND e.type = ANY(c.event_types))
      ORDER BY c.next_attempt_at NULLS FIRST, c.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING w.id::text AS id, w.url, w.secret, w.event_types::text[] AS event_types, w.last_delivered_seq, w.consecutive_failures`;
}

/** Extends the lease; no row when it was lost. */
export function renewQuery(id: string, owner: string, leaseMs: number): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhooks SET lease_until = now() + ${leaseMs}::int * interval '1 millisecond'
    WHERE id = ${id}::uuid AND lease_owner = ${owner} AND enabled`;
}

/** A delivered event moves the cursor, only from where the holder read it (an admin's replay wins). */
export function advanceQuery(id: string, owner: string, from: bigint, to: bigint): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhooks SET last_delivered_seq = ${to}, consecutive_failures = 0, failing_since = NULL, next_attempt_at = NULL
    WHERE id = ${id}::uuid AND lease_owner = ${owner} AND last_delivered_seq = ${from}`;
}

/** A failed attempt: one more in the run, the backoff, and the lease given up until then. */
export function failureQuery(id: string, owner: string, delayMs: number): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, now()),
                        next_attempt_at = now() + ${delayMs}::int * interval '1 millisecond', lease_owner = NULL, lease_until = NULL
    WHERE id = ${id}::uuid AND lease_owner = ${owner}
    RETURNING consecutive_failures, (extract(epoch FROM now() - failing_since) * 1000)::float8 AS failing_for_ms`;
}

/** When the dispatcher should look again: the earliest backoff among enabled endpoints. */
export const NEXT_ATTEMPT_QUERY = Prisma.sql`
    SELECT min(next_attempt_at) AS next FROM webhooks WHERE enabled AND next_attempt_at IS NOT NULL`;

/** Age of the oldest event an enabled endpoint still owes (its first matching event past the cursor). */
export const LAG_QUERY = Prisma.sql`
    SELECT max(extract(epoch FROM now() - p.occurred_at))::float8 AS seconds
    FROM webhooks w CROSS JOIN LATERAL (
      SELECT e.occurred_at FROM user_events e
      WHERE e.sequence > w.last_delivered_seq AND e.type = ANY(w.event_types)
      ORDER BY e.sequence LIMIT 1) p
    WHERE w.enabled`;

export class WebhookRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  create(data: { url: string; eventTypes: string[]; description: string | null; secret: string; actor: string | null }): Promise<WebhookRecord> {
    return this.prisma.$transaction(async (tx) => {
      // New endpoints start at the end of the log: they get events from now on (replay reaches back).
      const last = await tx.userEvent.findFirst({ orderBy: { sequence: 'desc' }, select: { sequence: true } });
      return tx.webhook.create({
        data: {
          url: data.url,
          eventTypes: data.eventTypes,
          description: data.description,
          secret: data.secret,
          lastDeliveredSeq: last?.sequence ?? 0n,
          createdBy: data.actor,
          updatedBy: data.actor,
        },
        select: RECORD_SELECT,
      });
    });
  }

  find(id: string, db: PrismaClient | Tx = this.prisma): Promise<WebhookRecord | null> {
    return db.webhook.findUnique({ where: { id }, select: RECORD_SELECT });
  }

  /** Every endpoint, oldest first (an installation has a handful, not thousands). */
  list(): Promise<WebhookRecord[]> {
    return this.prisma.webhook.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: RECORD_SELECT, take: 1_000 });
  }

  /**
   * Applies `changes`; null when there is no such endpoint. Clears the lease, so an instance
   * delivering to it stops at its next write and the next claim starts from the new state.
   */
  async update(tx: Tx, id: string, changes: WebhookChanges, actor: string | null, now: Date): Promise<WebhookRecord | null> {
    const result = await tx.webhook.updateMany({
      where: { id },
      data: {
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.eventTypes !== undefined ? { eventTypes: changes.eventTypes } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.enabled !== undefined
          ? { enabled: changes.enabled, disabledReason: changes.enabled ? null : (changes.disabledReason ?? 'MANUAL'), disabledAt: changes.enabled ? null : now }
          : {}),
        ...(changes.lastDeliveredSeq !== undefined ? { lastDeliveredSeq: changes.lastDeliveredSeq } : {}),
        ...(changes.resetFailures ? { consecutiveFailures: 0, failingSince: null, nextAttemptAt: null } : {}),
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        updatedBy: actor,
      },
    });
    return result.count === 0 ? null : this.find(id, tx);
  }

  async setSecret(id: string, secret: string, actor: string | null, now: Date): Promise<boolean> {
    const result = await this.prisma.webhook.updateMany({
      where: { id },
      data: { secret, leaseOwner: null, leaseUntil: null, updatedAt: now, updatedBy: actor },
    });
    return result.count > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.prisma.webhook.deleteMany({ where: { id } })).count > 0;
  }

  /** Newest first; `before`: attempts older than that id (the keyset). */
  deliveries(query: { webhookId: string; succeeded?: boolean | undefined; before?: bigint | undefined; limit: number }): Promise<DeliveryRecord[]> {
    return this.prisma.webhookDelivery.findMany({
      where: {
        webhookId: query.webhookId,
        ...(query.succeeded !== undefined ? { succeeded: query.succeeded } : {}),
        ...(query.before !== undefined ? { id: { lt: query.before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
  }

  // ---- The dispatcher's statements ----

  async claim(owner: string, leaseMs: number, limit: number): Promise<ClaimedWebhook[]> {
    const rows = claimedRows(await this.prisma.$queryRaw(claimQuery(owner, leaseMs, limit)));
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      secret: r.secret,
      eventTypes: r.event_types,
      lastDeliveredSeq: r.last_delivered_seq,
      consecutiveFailures: r.consecutive_failures,
    }));
  }

  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.prisma.$executeRaw(renewQuery(id, owner, leaseMs))) > 0;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.prisma.webhook.updateMany({ where: { id, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
  }

  /** Records a 2xx and moves the cursor past the event; false when the lease or the cursor moved meanwhile. */
  async delivered(delivery: NewDelivery, owner: string, from: bigint): Promise<boolean> {
    const [, moved] = await this.prisma.$transaction([
      this.prisma.webhookDelivery.create({ data: delivery }),
      this.prisma.$executeRaw(advanceQuery(delivery.webhookId, owner, from, delivery.eventSequence)),
    ]);
    return moved > 0;
  }

  /**
   * Records a failed attempt and its backoff, in `tx`. Returns the run of failures and how long
   * the head event has been failing, or null when the lease was lost meanwhile.
   */
  async failed(tx: Tx, delivery: NewDelivery, owner: string, delayMs: number): Promise<{ consecutiveFailures: number; failingForMs: number } | null> {
    await tx.webhookDelivery.create({ data: delivery });
    const [row] = failureRows(await tx.$queryRaw(failureQuery(delivery.webhookId, owner, delayMs)));
    return row ? { consecutiveFailures: row.consecutive_failures, failingForMs: row.failing_for_ms } : null;
  }

  async anyEnabled(): Promise<boolean> {
    return (await this.prisma.webhook.findFirst({ where: { enabled: true }, select: { id: true } })) !== null;
  }

  async nextAttemptAt(): Promise<Date | null> {
    return wakeRow(await this.prisma.$queryRaw(NEXT_ATTEMPT_QUERY)).next;
  }

  /** Seconds since the oldest event an enabled endpoint still owes occurred (0: none owed). */
  async lagSeconds(): Promise<number> {
    return lagRow(await this.prisma.$queryRaw(LAG_QUERY)).seconds ?? 0;
  }
}
