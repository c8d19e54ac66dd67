// Login history: every login and refresh, success or failure, with why it failed. A log of its
// own (not domain events, not in the outbox): it records attempts, not changes of a user, and it
// is purged after LOGIN_HISTORY_DAYS. Recording never fails a login: a write that fails is logged.
import type { Clock } from '../clock.js';
import { BadUserInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import { lookupEmail, assertUuid } from '../users/user.validation.js';
import { assertCan } from './policy.js';
import type { Principal } from './principal.js';
import type { LoginAttemptRecord, LoginHistoryRepository, LoginOutcome, NewLoginAttempt } from './login-history.repository.js';

export const DEFAULT_HISTORY_PAGE = 50;
export const MAX_HISTORY_PAGE = 500;
const PURGE_EVERY_MS = 3_600_000;

export interface LoginHistoryPage {
  attempts: LoginAttemptRecord[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface LoginHistoryFilter {
  outcome?: LoginOutcome | null;
  email?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export class LoginHistoryService {
  private timer: NodeJS.Timeout | undefined;
  private purging: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly repository: LoginHistoryRepository,
    private readonly clock: Clock,
    private readonly keepDays: number,
    private readonly log: Logger,
  ) {}

  /** Records an attempt; never throws (a history that cannot be written must not stop logins). */
  async record(attempt: Omit<NewLoginAttempt, 'occurredAt'>): Promise<void> {
    try {
      await this.repository.record({ ...attempt, occurredAt: this.clock.now() });
    } catch (error) {
      this.log.warn({ err: error, kind: attempt.kind, outcome: attempt.outcome }, 'could not record a login attempt');
    }
  }

  /** ADMIN: one user's attempts, newest first. */
  userHistory(principal: Principal, userId: string, first?: number | null, after?: string | null): Promise<LoginHistoryPage> {
    assertCan(principal, 'loginHistory.read');
    return this.page({ userId: assertUuid(userId, 'userId') }, first, after);
  }

  /** ADMIN: attempts across accounts (failures by default), newest first. */
  history(principal: Principal, filter: LoginHistoryFilter = {}, first?: number | null, after?: string | null): Promise<LoginHistoryPage> {
    assertCan(principal, 'loginHistory.read');
    return this.page(
      {
        outcome: filter.outcome ?? 'FAILURE',
        email: filter.email ? lookupEmail(filter.email, 'filter.email') : undefined,
        from: filter.from ?? undefined,
        to: filter.to ?? undefined,
      },
      first,
      after,
    );
  }

  /** Purges now (behind the start, not before readiness) and every hour. */
  start(): void {
    this.purging = this.purge();
    this.timer = setInterval(() => void (this.purging = this.purge()), PURGE_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a purge that is running (its connection is about to close). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.purging;
  }

  /** Deletes attempts older than LOGIN_HISTORY_DAYS; returns how many. */
  async purge(): Promise<number> {
    try {
      return await this.repository.purge(new Date(this.clock.now().getTime() - this.keepDays * 86_400_000));
    } catch (error) {
      this.log.warn({ err: error }, 'could not purge the login history');
      return 0;
    }
  }

  private async page(query: { userId?: string; outcome?: LoginOutcome; email?: string | undefined; from?: Date | undefined; to?: Date | undefined }, first?: number | null, after?: string | null): Promise<LoginHistoryPage> {
    const limit = first ?? DEFAULT_HISTORY_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) throw BadUserInputError.field('first', `must be between 1 and ${MAX_HISTORY_PAGE}`);
    let before: bigint | undefined;
    if (after != null) {
      if (!/^[1-9]\d{0,18}$/.test(after)) throw BadUserInputError.field('after', 'must be a cursor from this history');
      before = BigInt(after);
    }
    const rows = await this.repository.find({ ...query, before, limit: limit + 1 });
    const attempts = rows.slice(0, limit);
    const last = attempts[attempts.length - 1];
    return { attempts, hasNextPage: rows.length > limit, endCursor: last ? last.id.toString() : null };
  }
}
