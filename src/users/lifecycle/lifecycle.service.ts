// Lifecycle rules: activate, deactivate, suspend, unsuspend, delete (one user or up to 1,000),
// restore, and the end of suspensions that reach their `until`.
//
// Single-user mutations and bulk ones share one path, so the rules cannot drift apart: a single
// mutation is a bulk call with one id whose failure is thrown instead of reported.
//
// Operations that set a state are idempotent: activating an active user succeeds, changes
// nothing and records no event. Failures are per id: unknown or deleted ids, malformed ids, your
// own id for deactivate/suspend/delete, suspending a deactivated user (USER_INACTIVE).
//
// Events: one per changed user (UserActivated, UserSuspended, ...), so a subscriber to
// `userSuspended` or to one user's history sees a suspension whichever mutation made it; a bulk
// call adds one UserBulkAction listing the users it changed. All of them are written in the
// transaction that makes the change.
import { assertCan } from '../../auth/policy.js';
import { actorId, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError, DomainError, ForbiddenError, type FieldProblem } from '../../errors.js';
import type { EventsService } from '../../events/events.service.js';
import type { BulkAction, NewUserEvent, UserEvent } from '../../events/user-event.model.js';
import type { UserRecord } from '../user.model.js';
import { UserInactiveError, UserNotFoundError } from '../users.errors.js';
import type { UsersRepository } from '../users.repository.js';
import { assertUuid, isUuid, reasonRule, zodProblems } from '../users.validation.js';
import type { LifecycleChange, LifecycleRepository, LifecycleRow } from './lifecycle.repository.js';

export const MAX_BULK_IDS = 1000;

export type LifecycleAction = 'ACTIVATE' | 'DEACTIVATE' | 'SUSPEND' | 'UNSUSPEND' | 'DELETE';

export interface BulkFailure {
  id: string;
  code: string;
  message: string;
}

export interface BulkActionResult {
  action: BulkAction;
  /** Distinct ids asked for (a repeated id counts once): requested = succeeded + failed. */
  requested: number;
  /** Ids now in the requested state, including those that already were. */
  succeeded: string[];
  failed: BulkFailure[];
}

interface Outcome {
  succeeded: string[];
  failures: { id: string; error: DomainError }[];
  records: UserRecord[];
}

export class LifecycleService {
  constructor(
    private readonly repository: LifecycleRepository,
    private readonly users: UsersRepository,
    private readonly events: EventsService,
    private readonly clock: Clock,
  ) {}

  activate(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'ACTIVATE', id, { kind: 'activate' });
  }

  deactivate(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'DEACTIVATE', id, { kind: 'deactivate' });
  }

  async suspend(principal: Principal, id: string, reason: string, until?: Date | null): Promise<UserRecord> {
    return this.single(principal, 'SUSPEND', id, this.suspension(reason, until));
  }

  unsuspend(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'UNSUSPEND', id, { kind: 'unsuspend' });
  }

  /** Undoes a soft delete; USER_MANAGEMENT_USER_ALREADY_EXISTS if a live user took the email. */
  async restore(principal: Principal, id: string): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    const { user, stored } = await this.users.transaction(async (repo, tx) => {
      const result = await repo.restore(userId, actorId(principal));
      if (!result) throw new UserNotFoundError(userId);
      const stored = result.restored
        ? await this.events.record(tx, { type: 'USER_RESTORED', payload: { userId, restoredBy: principal.userId } })
        : [];
      return { user: result.user, stored };
    });
    this.events.committed(stored);
    return user;
  }

  bulkActivate(principal: Principal, ids: readonly string[]): Promise<BulkActionResult> {
    return this.bulk(principal, 'ACTIVATE', ids, () => ({ kind: 'activate' }));
  }

  bulkDeactivate(principal: Principal, ids: readonly string[]): Promise<BulkActionResult> {
    return this.bulk(principal, 'DEACTIVATE', ids, () => ({ kind: 'deactivate' }));
  }

  bulkDelete(principal: Principal, ids: readonly string[]): Promise<BulkActionResult> {
    return this.bulk(principal, 'DELETE', ids, () => ({ kind: 'delete' }));
  }

  async bulkSuspend(principal: Principal, ids: readonly string[], reason: string, until?: Date | null): Promise<BulkActionResult> {
    return this.bulk(principal, 'SUSPEND', ids, () => this.suspension(reason, until));
  }

  /**
   * Ends every suspension whose `until` has passed and records UserUnsuspended (expired: true)
   * for each. Safe to run on several instances at once. Returns how many ended.
   */
  async expireDueSuspensions(batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.clock.now();
      const { ids, stored } = await this.repository.transaction(async (repo, tx) => {
        const ids = await repo.expireSuspensions(now, batch);
        const events = ids.map((userId): NewUserEvent => ({ type: 'USER_UNSUSPENDED', payload: { userId, unsuspendedBy: null, expired: true } }));
        return { ids, stored: await this.events.record(tx, events) };
      });
      this.events.committed(stored);
      total += ids.length;
      if (ids.length < batch) return total;
    }
  }

  /** When the next suspension ends by itself, if any. */
  nextSuspensionEnd(): Promise<Date | null> {
    return this.repository.nextSuspensionEnd();
  }

  private async single(principal: Principal, action: LifecycleAction, id: string, change: LifecycleChange): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    const outcome = await this.apply(principal, action, [userId], change, false);
    const failure = outcome.failures[0];
    if (failure) throw failure.error;
    const record = outcome.records[0];
    if (!record) throw new UserNotFoundError(userId);
    return record;
  }

  private async bulk(principal: Principal, action: LifecycleAction & BulkAction, rawIds: readonly string[], change: () => LifecycleChange): Promise<BulkActionResult> {
    assertCan(principal, 'users.write');
    if (rawIds.length > MAX_BULK_IDS) throw BadUserInputError.field('ids', `must list at most ${MAX_BULK_IDS} ids`);
    const resolvedChange = change();
    // Malformed ids are reported, not thrown; a repeated id (any letter case) counts once.
    const seen = new Set<string>();
    const ids: string[] = [];
    const malformed: BulkFailure[] = [];
    for (const raw of rawIds) {
      const key = raw.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (isUuid(raw)) ids.push(key);
      else malformed.push({ id: raw, code: 'BAD_USER_INPUT', message: 'must be a UUID' });
    }
    const outcome = await this.apply(principal, action, ids, resolvedChange, true);
    const failed = [...malformed, ...outcome.failures.map(({ id, error }) => ({ id, code: error.code, message: error.message }))];
    return { action, requested: seen.size, succeeded: outcome.succeeded, failed };
  }

  /** Locks the rows, decides per id, applies the change to those that need it, records events. */
  private async apply(principal: Principal, action: LifecycleAction, ids: string[], change: LifecycleChange, bulk: boolean): Promise<Outcome> {
    const actor = actorId(principal);
    const by = principal.userId;
    const { outcome, stored } = await this.repository.transaction(async (repo, tx) => {
      const now = this.clock.now();
      const rows = new Map((await repo.lock(ids)).map((r) => [r.id, r]));
      const succeeded: string[] = [];
      const changed: string[] = [];
      const failures: Outcome['failures'] = [];
      for (const id of ids) {
        const verdict = decide(action, rows.get(id), id, principal);
        if (verdict instanceof DomainError) failures.push({ id, error: verdict });
        else {
          succeeded.push(id);
          if (verdict === 'change') changed.push(id);
        }
      }
      await repo.apply(changed, change, actor, now);
      const events = changed.map((userId) => eventFor(change, userId, by));
      if (bulk && changed.length > 0 && action !== 'UNSUSPEND') {
        events.push({ type: 'USER_BULK_ACTION', payload: { action, userIds: changed, performedBy: by } });
      }
      const stored: UserEvent[] = await this.events.record(tx, events);
      const records = bulk ? [] : await repo.records(succeeded);
      return { outcome: { succeeded, failures, records }, stored };
    });
    this.events.committed(stored);
    return outcome;
  }

  private suspension(reason: string, until: Date | null | undefined): LifecycleChange {
    const parsed = reasonRule.safeParse(reason);
    const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error, 'reason');
    if (until != null && (!(until instanceof Date) || Number.isNaN(until.getTime()))) problems.push({ field: 'until', message: 'must be a date-time' });
    else if (until != null && until <= this.clock.now()) problems.push({ field: 'until', message: 'must be in the future' });
    if (problems.length || !parsed.success) throw new BadUserInputError(problems);
    return { kind: 'suspend', reason: parsed.data, until: until ?? null };
  }
}

/** 'change', 'noop' (already in the requested state) or the reason it does not apply. */
function decide(action: LifecycleAction, row: LifecycleRow | undefined, id: string, principal: Principal): 'change' | 'noop' | DomainError {
  if (!row || row.deletedAt) return new UserNotFoundError(id);
  const self = principal.userId.toLowerCase() === id;
  switch (action) {
    case 'ACTIVATE':
      return row.isActive ? 'noop' : 'change';
    case 'DEACTIVATE':
      if (self) return new ForbiddenError('You cannot deactivate yourself');
      return row.isActive ? 'change' : 'noop';
    case 'SUSPEND':
      if (self) return new ForbiddenError('You cannot suspend yourself');
      if (!row.isActive) return new UserInactiveError(id, `User ${id} is deactivated: activate it before suspending`);
      return 'change';
    case 'UNSUSPEND':
      return row.suspendedAt ? 'change' : 'noop';
    case 'DELETE':
      if (self) return new ForbiddenError('You cannot delete yourself');
      return 'change';
  }
}

function eventFor(change: LifecycleChange, userId: string, by: string): NewUserEvent {
  switch (change.kind) {
    case 'activate':
      return { type: 'USER_ACTIVATED', payload: { userId, activatedBy: by } };
    case 'deactivate':
      return { type: 'USER_DEACTIVATED', payload: { userId, deactivatedBy: by } };
    case 'suspend':
      return { type: 'USER_SUSPENDED', payload: { userId, reason: change.reason, until: change.until, suspendedBy: by } };
    case 'unsuspend':
      return { type: 'USER_UNSUSPENDED', payload: { userId, unsuspendedBy: by, expired: false } };
    case 'delete':
      return { type: 'USER_DELETED', payload: { userId, deletedBy: by } };
  }
}
