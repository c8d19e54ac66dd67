// Aggregates for userStats: a few aggregate queries answered from indexes (users_live_stats_idx,
// users_deleted_at_idx, users_created_at_id_idx; see prisma/migrations), never row loads.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { countRow, oneRowOf, rowsOf } from '../../db/rows.js';
import { suspendedAt } from '../user.columns.js';
import { ROLES, type Role } from '../user.model.js';

export interface LiveTotals {
  total: number;
  active: number;
  inactive: number;
  suspended: number;
  verified: number;
  unverified: number;
  loggedInInRange: number;
}

const int = z.number().int();
const totalsRow = oneRowOf(
  'live totals',
  z.object({ total: int, active: int, inactive: int, suspended: int, verified: int, unverified: int, loggedInInRange: int }),
);
const deletedRow = oneRowOf('deleted count', countRow);
const createdRow = oneRowOf('created in range', countRow);
const roleRows = rowsOf('users by role', z.object({ role: z.enum(ROLES), count: int }));
const dayRows = rowsOf('signups by day', z.object({ date: z.string(), count: int }));

export class StatsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Counts over live users; "active" means able to log in right now. */
  async liveTotals(from: Date, to: Date, now: Date): Promise<LiveTotals> {
    return totalsRow(await this.prisma.$queryRaw(liveTotalsQuery(from, to, now)));
  }

  async deletedCount(): Promise<number> {
    return deletedRow(await this.prisma.$queryRaw(DELETED_COUNT)).n;
  }

  /** Users created in [from, to), deleted ones included (a signup happened either way). */
  async createdInRange(from: Date, to: Date): Promise<number> {
    return createdRow(await this.prisma.$queryRaw(createdInRangeQuery(from, to))).n;
  }

  async byRole(): Promise<{ role: Role; count: number }[]> {
    return roleRows(await this.prisma.$queryRaw(BY_ROLE));
  }

  /** Signups per UTC day over [from, to), zero-filled, served by the created_at index. */
  async signupsByDay(from: Date, to: Date): Promise<{ date: string; count: number }[]> {
    return dayRows(await this.prisma.$queryRaw(signupsByDayQuery(from, to)));
  }
}

// The statements, as pure builders (npm run sql:emit prints them for review).

export function liveTotalsQuery(from: Date, to: Date, now: Date): Prisma.Sql {
  // The status rule's suspension test (user.columns.ts), so "suspended" here is the listing's.
  const suspended = Prisma.sql`(${suspendedAt(Prisma.sql`${now}`)})`;
  return Prisma.sql`
      SELECT
        count(*)::int AS total,
        count(*) FILTER (WHERE u.is_active AND NOT ${suspended})::int AS active,
        count(*) FILTER (WHERE NOT u.is_active AND NOT ${suspended})::int AS inactive,
        count(*) FILTER (WHERE ${suspended})::int AS suspended,
        count(*) FILTER (WHERE u.is_email_verified)::int AS verified,
        count(*) FILTER (WHERE NOT u.is_email_verified)::int AS unverified,
        count(*) FILTER (WHERE u.last_login_at >= ${from} AND u.last_login_at < ${to})::int AS "loggedInInRange"
      FROM users u WHERE u.deleted_at IS NULL`;
}

export const DELETED_COUNT = Prisma.sql`SELECT count(*)::int AS n FROM users u WHERE u.deleted_at IS NOT NULL`;

export function createdInRangeQuery(from: Date, to: Date): Prisma.Sql {
  return Prisma.sql`
      SELECT count(*)::int AS n FROM users u WHERE u.created_at >= ${from} AND u.created_at < ${to}`;
}

export const BY_ROLE = Prisma.sql`
      SELECT u.role::text AS role, count(*)::int AS count FROM users u WHERE u.deleted_at IS NULL GROUP BY u.role ORDER BY u.role`;

export function signupsByDayQuery(from: Date, to: Date): Prisma.Sql {
  return Prisma.sql`
      WITH days AS (
        SELECT generate_series(date_trunc('day', ${from}::timestamptz AT TIME ZONE 'UTC'),
                               date_trunc('day', (${to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC'),
                               interval '1 day') AS day
      ), counts AS (
        SELECT date_trunc('day', u.created_at AT TIME ZONE 'UTC') AS day, count(*)::int AS n
        FROM users u WHERE u.created_at >= ${from} AND u.created_at < ${to}
        GROUP BY 1
      )
      SELECT to_char(d.day, 'YYYY-MM-DD') AS date, coalesce(c.n, 0)::int AS count
      FROM days d LEFT JOIN counts c ON c.day = d.day ORDER BY d.day`;
}
