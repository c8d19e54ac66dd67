// Aggregates for userStats: a few aggregate queries answered from indexes (users_live_stats_idx,
// users_deleted_at_idx, users_created_at_id_idx; see prisma/migrations), never row loads.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../user.model.js';

export interface LiveTotals {
  total: number;
  active: number;
  inactive: number;
  suspended: number;
  verified: number;
  unverified: number;
  loggedInInRange: number;
}

export class StatsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Counts over live users; "active" means able to log in right now. */
  async liveTotals(from: Date, to: Date, now: Date): Promise<LiveTotals> {
    const suspended = Prisma.sql`(u.suspended_at IS NOT NULL AND (u.suspended_until IS NULL OR u.suspended_until > ${now}))`;
    const rows = await this.prisma.$queryRaw<LiveTotals[]>(Prisma.sql`
      SELECT
        count(*)::int AS total,
        count(*) FILTER (WHERE u.is_active AND NOT ${suspended})::int AS active,
        count(*) FILTER (WHERE NOT u.is_active AND NOT ${suspended})::int AS inactive,
        count(*) FILTER (WHERE ${suspended})::int AS suspended,
        count(*) FILTER (WHERE u.is_email_verified)::int AS verified,
        count(*) FILTER (WHERE NOT u.is_email_verified)::int AS unverified,
        count(*) FILTER (WHERE u.last_login_at >= ${from} AND u.last_login_at < ${to})::int AS "loggedInInRange"
      FROM users u WHERE u.deleted_at IS NULL`);
    return rows[0]!;
  }

  async deletedCount(): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM users u WHERE u.deleted_at IS NOT NULL`;
    return rows[0]?.n ?? 0;
  }

  /** Users created in [from, to), deleted ones included (a signup happened either way). */
  async createdInRange(from: Date, to: Date): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM users u WHERE u.created_at >= ${from} AND u.created_at < ${to}`;
    return rows[0]?.n ?? 0;
  }

  async byRole(): Promise<{ role: Role; count: number }[]> {
    return this.prisma.$queryRaw<{ role: Role; count: number }[]>`
      SELECT u.role::text AS role, count(*)::int AS count FROM users u WHERE u.deleted_at IS NULL GROUP BY u.role ORDER BY u.role`;
  }

  /** Signups per UTC day over [from, to), zero-filled, served by the created_at index. */
  async signupsByDay(from: Date, to: Date): Promise<{ date: string; count: number }[]> {
    return this.prisma.$queryRaw<{ date: string; count: number }[]>`
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
}
