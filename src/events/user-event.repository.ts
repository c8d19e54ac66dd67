// The only place that talks to Prisma about user_events and the relay's cursor.
//
// EventRecorder.record() is the transactional-outbox write: callers run it inside the same
// transaction as the change, as the LAST statement of that transaction. It takes a
// transaction-scoped advisory lock before drawing sequence numbers, so transactions that write
// events commit in sequence order: once event N is visible, every event below N that will ever
// exist is visible too. That is what lets a reader tail the table with `sequence > last`
// without ever skipping a late-committing transaction. The lock is held only from the insert to
// the commit; taking it last keeps it short and free of lock-order deadlocks.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { rowsOf } from '../db/rows.js';
import { deliveredPayload, eventUserId, payloadFromJson, payloadToJson, type NewUserEvent, type UserEvent, type UserEventType } from './user-event.model.js';

/** A Prisma interactive-transaction client (`prisma.$transaction(async (tx) => ...)`). */
export type Tx = Prisma.TransactionClient;

// pg_advisory_xact_lock(int4, int4) key: 'user' in ASCII, and 1 for "user_events writers".
const OUTBOX_LOCK = Prisma.sql`SELECT pg_advisory_xact_lock(1970496882, 1)`;

const insertedRows = rowsOf('user_events insert', z.object({ sequence: z.bigint(), id: z.string() }));

interface EventRow {
  sequence: bigint;
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  payload: Prisma.JsonValue;
  occurredAt: Date;
}

export interface EventQuery {
  after?: bigint | undefined;
  /** Inclusive upper bound. */
  upTo?: bigint | undefined;
  userId?: string | undefined;
  types?: readonly UserEventType[] | undefined;
  limit: number;
}

export class EventRecorder {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Appends events inside the caller's transaction and returns them with their sequence numbers.
   * Call it last in the transaction (see the file comment); after the commit, hand the result to
   * `EventsService.committed()` so subscribers get it at once rather than at the next poll.
   */
  async record(tx: Tx, events: NewUserEvent | readonly NewUserEvent[], occurredAt: Date = new Date()): Promise<UserEvent[]> {
    const list: readonly NewUserEvent[] = Array.isArray(events) ? events : [events as NewUserEvent];
    if (list.length === 0) return [];
    const ids = list.map(() => randomUUID());
    const payloads = list.map(deliveredPayload);
    await tx.$executeRaw(OUTBOX_LOCK);
    // One statement whatever the count: a bulk action on 1,000 users is one insert, not 1,000.
    const rows = insertedRows(
      await tx.$queryRaw`
      INSERT INTO user_events (id, type, user_id, actor_id, payload, occurred_at)
      SELECT e.id, e.type, e.user_id, e.actor_id, e.payload, ${occurredAt}::timestamptz
      FROM unnest(
        ${ids}::uuid[],
        ${list.map((e) => e.type)}::text[],
        ${list.map(eventUserId)}::uuid[],
        ${list.map((e) => e.actor)}::text[],
        ${list.map((e, i) => JSON.stringify(payloadToJson(e.type, payloads[i]!)))}::jsonb[]
      ) AS e(id, type, user_id, actor_id, payload)
      RETURNING sequence, id::text AS id`,
    );
    const sequenceById = new Map(rows.map((r) => [r.id, BigInt(r.sequence)]));
    return list
      .map((e, i): UserEvent => {
        const id = ids[i]!;
        return {
          id,
          sequence: sequenceById.get(id)!,
          type: e.type,
          payload: payloads[i]!,
          occurredAt,
          userId: eventUserId(e),
          actorId: e.actor,
        } as UserEvent;
      })
      .sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
  }

  /** Events in sequence order, optionally filtered; `limit` caps the page. */
  async find(query: EventQuery): Promise<UserEvent[]> {
    const rows = await this.prisma.userEvent.findMany({
      where: {
        sequence: { ...(query.after !== undefined ? { gt: query.after } : {}), ...(query.upTo !== undefined ? { lte: query.upTo } : {}) },
        ...(query.userId ? { userId: query.userId } : {}),
        ...(query.types ? { type: { in: [...query.types] } } : {}),
      },
      orderBy: { sequence: 'asc' },
      take: query.limit,
    });
    return rows.map(toEvent);
  }

  /** The newest sequence, and when the first event after `after` occurred (null: none yet). */
  async lag(after: bigint): Promise<{ newest: bigint; oldestPendingAt: Date | null }> {
    const [newest, pending] = await Promise.all([
      this.maxSequence(),
      this.prisma.userEvent.findFirst({ where: { sequence: { gt: after } }, orderBy: { sequence: 'asc' }, select: { occurredAt: true } }),
    ]);
    return { newest, oldestPendingAt: pending?.occurredAt ?? null };
  }

  async maxSequence(): Promise<bigint> {
    const last = await this.prisma.userEvent.findFirst({ orderBy: { sequence: 'desc' }, select: { sequence: true } });
    return last?.sequence ?? 0n;
  }

  /**
   * The relay's saved position. Created on first use at the current end of the log, so a new
   * deployment does not replay history to live subscribers.
   */
  async relayState(name: string): Promise<{ streamId: string; lastSequence: bigint }> {
    await this.prisma.$executeRaw`
      INSERT INTO user_event_relay (name, stream_id, last_sequence)
      SELECT ${name}, ${randomUUID()}::uuid, coalesce(max(sequence), 0) FROM user_events
      ON CONFLICT (name) DO NOTHING`;
    const row = await this.prisma.userEventRelay.findUniqueOrThrow({ where: { name } });
    return { streamId: row.streamId, lastSequence: row.lastSequence };
  }

  /** Moves the saved position forward (never back: several instances share it). */
  async saveRelayPosition(name: string, sequence: bigint): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE user_event_relay SET last_sequence = ${sequence}, updated_at = now()
      WHERE name = ${name} AND last_sequence < ${sequence}`;
  }
}

function toEvent(row: EventRow): UserEvent {
  const type = row.type as UserEventType;
  return {
    id: row.id,
    sequence: row.sequence,
    type,
    occurredAt: row.occurredAt,
    userId: row.userId,
    actorId: row.actorId,
    payload: payloadFromJson(type, (row.payload ?? {}) as Record<string, unknown>),
  } as UserEvent;
}
