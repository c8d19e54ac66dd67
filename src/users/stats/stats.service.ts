// userStats: who may see it, the default range (last 30 days) and its bounds.
import { assertCan } from '../../auth/policy.js';
import type { Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError } from '../../errors.js';
import { ROLES, type Role } from '../user.model.js';
import type { LiveTotals, StatsRepository } from './stats.repository.js';

const DAY_MS = 86_400_000;
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 3660;

export interface UserStatsData extends LiveTotals {
  deleted: number;
  createdInRange: number;
  from: Date;
  to: Date;
  byRole: { role: Role; count: number }[];
  signupsByDay: { date: string; count: number }[];
}

export class StatsService {
  constructor(
    private readonly repository: StatsRepository,
    private readonly clock: Clock,
  ) {}

  async userStats(principal: Principal, range: { from?: Date | null; to?: Date | null }): Promise<UserStatsData> {
    assertCan(principal, 'stats.read');
    const now = this.clock.now();
    const to = range.to ?? now;
    const from = range.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
    if (from >= to) throw BadUserInputError.field('from', 'must be before to');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
      throw BadUserInputError.field('from', `the range may span at most ${MAX_RANGE_DAYS} days`);
    }
    // Independent aggregates: on PostgreSQL they run on separate pooled connections at once.
    const [totals, deleted, createdInRange, byRole, signupsByDay] = await Promise.all([
      this.repository.liveTotals(from, to, now),
      this.repository.deletedCount(),
      this.repository.createdInRange(from, to),
      this.repository.byRole(),
      this.repository.signupsByDay(from, to),
    ]);
    // Every role appears, with 0 when nobody has it, so dashboards need no special case.
    const counts = new Map(byRole.map((r) => [r.role, r.count]));
    return { ...totals, deleted, createdInRange, from, to, byRole: ROLES.map((role) => ({ role, count: counts.get(role) ?? 0 })), signupsByDay };
  }
}
