// Set-based SQL for lifecycle changes: one statement to lock and read the rows, one to change
// them, whatever the number of ids (a bulk action on 1,000 users is a handful of round trips).
// Every change of a user's state is written here (the single and bulk mutations, deleteUser,
// updateUser's isActive, the end of suspensions), stamped with the time the service passes in.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { Tx } from '../../events/user-event.repository.js';
import { z } from 'zod';
import { oneRowOf, rowsOf } from '../../db/rows.js';
import type { UserRecord } from '../user.model.js';
import { recordSchema, selectList, userSelect } from '../user.columns.js';
import { mapUniqueViolation } from '../user.repository.js';

type Db = PrismaClient | Tx;

/** The columns lifecycle rules look at. */
const LOCKED = ['id', 'email', 'isActive', 'deletedAt', 'suspendedAt', 'suspendedUntil', 'lockedUntil', 'erasedAt'] as const;
export type LifecycleRow = Pick<UserRecord, (typeof LOCKED)[number]>;

const lockedRows = rowsOf('lifecycle lock', recordSchema(LOCKED));
const idRows = rowsOf('suspension expiry', z.object({ id: z.string() }));
const nextEndRow = oneRowOf('next suspension end', z.object({ until: z.date().nullable() }));

export type LifecycleChange =
  | { kind: 'activate' }
  | { kind: 'deactivate' }
  | { kind: 'suspend'; reason: string; until: Date | null }
  | { kind: 'unsuspend' }
  | { kind: 'delete' }
  | { kind: 'restore' }
  | { kind: 'lock'; until: Date }
  | { kind: 'unlock' };

export class LifecycleRepository {
  constructor(
    private readonly db: Db,
    private readonly root: PrismaClient,
  ) {}

  static create(prisma: PrismaClient): LifecycleRepository {
    return new LifecycleRepository(prisma, prisma);
  }

  transaction<T>(work: (repo: LifecycleRepository, tx: Tx) => Promise<T>): Promise<T> {
    if (this.db !== this.root) return work(this, this.db);
    return this.root.$transaction((tx) => work(this.within(tx), tx), { timeout: 30_000 });
  }

  /** This repository inside a transaction another repository opened (updateUser's). */
  within(tx: Tx): LifecycleRepository {
    return new LifecycleRepository(tx, this.root);
  }

  /** Reads and locks the rows (deleted ones too) so concurrent lifecycle changes serialise. */
  async lock(ids: readonly string[]): Promise<LifecycleRow[]> {
    if (ids.length === 0) return [];
    return lockedRows(await this.db.$queryRaw(lockQuery(ids)));
  }

  /**
   * Applies one change to all `rows` (as lock() returned them) in one UPDATE, each row getting a
   * new version. `newVersion: false` when the change is part of a write that already made the
   * row's new version in this transaction (updateUser: one update, one version).
   * A restore that would give a live email a second owner is USER_MANAGEMENT_USER_ALREADY_EXISTS.
   */
  async apply(rows: readonly LifecycleRow[], change: LifecycleChange, actorId: string | null, now: Date, options: { newVersion?: boolean } = {}): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.db.$executeRaw(applyQuery(rows.map((r) => r.id), change, actorId, now, options.newVersion ?? true));
    } catch (error) {
      // Only a restore can collide (a live user took the email meanwhile); it is single-user.
      throw change.kind === 'restore' && rows.length === 1 ? mapUniqueViolation(error, { email: rows[0]!.email }) : error;
    }
  }

  /** Full records, deleted ones included (what single-user mutations return). */
  async records(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.db.user.findMany({ where: { id: { in: [...ids] } }, select: userSelect });
  }

  /**
   * Ends suspensions whose `until` has passed, at most `limit` at a time; returns the user ids.
   * SKIP LOCKED: an instance never waits for another one doing the same sweep, and a row one
   * instance cleared no longer matches for the next.
   */
  async expireSuspensions(now: Date, limit: number): Promise<string[]> {
    return idRows(await this.db.$queryRaw(expireSuspensionsQuery(now, limit))).map((r) => r.id);
  }

  /** When the next live suspension with an end date ends, if any. */
  async nextSuspensionEnd(): Promise<Date | null> {
    return nextEndRow(await this.db.$queryRaw(NEXT_SUSPENSION_END)).until;
  }
}

// The statements, as pure builders (npm run sql:emit prints them for review).

/** Reads and locks the rows lifecycle rules look at. */
export function lockQuery(ids: readonly string[]): Prisma.Sql {
  // ORDER BY id: concurrent bulk calls lock overlapping rows in the same order (no deadlock).
  return Prisma.sql`
      SELECT ${Prisma.raw(selectList(LOCKED))}
      FROM users u WHERE u.id = ANY(${[...ids]}::uuid[]) ORDER BY u.id FOR UPDATE`;
}

export function applyQuery(ids: readonly string[], change: LifecycleChange, actorId: string | null, now: Date, newVersion: boolean): Prisma.Sql {
  const set = setClause(change, actorId, now);
  const version = newVersion ? Prisma.sql`version + 1` : Prisma.sql`version`;
  return Prisma.sql`
        UPDATE users SET ${set}, updated_by_id = ${actorId}::uuid, updated_at = ${now}, version = ${version}
        WHERE id = ANY(${[...ids]}::uuid[])`;
}

export function expireSuspensionsQuery(now: Date, limit: number): Prisma.Sql {
  return Prisma.sql`
      UPDATE users SET suspended_at = NULL, suspended_until = NULL, suspension_reason = NULL,
                       updated_at = ${now}, version = version + 1
      WHERE id IN (
        SELECT id FROM users
        WHERE suspended_until <= ${now} AND suspended_at IS NOT NULL AND deleted_at IS NULL
        ORDER BY suspended_until LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id`;
}

export const NEXT_SUSPENSION_END = Prisma.sql`
      SELECT min(suspended_until) AS until FROM users WHERE suspended_at IS NOT NULL AND deleted_at IS NULL`;

function setClause(change: LifecycleChange, actorId: string | null, now: Date): Prisma.Sql {
  switch (change.kind) {
    case 'activate':
      return Prisma.sql`is_active = true`;
    case 'deactivate':
      return Prisma.sql`is_active = false`;
    case 'suspend':
      return Prisma.sql`suspended_at = ${now}, suspended_until = ${change.until}::timestamptz, suspension_reason = ${change.reason}`;
    case 'unsuspend':
      return Prisma.sql`suspended_at = NULL, suspended_until = NULL, suspension_reason = NULL`;
    case 'delete':
      return Prisma.sql`deleted_at = ${now}, deleted_by_id = ${actorId}::uuid`;
    case 'restore':
      return Prisma.sql`deleted_at = NULL, deleted_by_id = NULL`;
    case 'lock':
      return Prisma.sql`locked_until = ${change.until}::timestamptz`;
    case 'unlock':
      return Prisma.sql`locked_until = NULL`;
  }
}
