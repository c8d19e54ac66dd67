// Lifecycle rules: activate, deactivate, suspend, unsuspend, delete (one user or up to 1,000),
// restore, and the end of suspensions that reach their `until`.
//
// Every change of a user's state comes through here, whichever mutation asks for it: the single
// and bulk lifecycle mutations, deleteUser, and updateUser(input: { isActive }) (see
// setActiveWithin). Single-user mutations and bulk ones share one path, so the rules cannot drift
// apart: a single mutation is a bulk call with one id whose failure is thrown instead of reported.
// The time they stamp is the injected clock's.
//
// Operations that set a state are idempotent: activating an active user succeeds, changes
// nothing and records no event. Failures are per id: unknown or deleted ids, malformed ids, your
// own id for deactivate/suspend/delete (NOT_YOURSELF), suspending a deactivated user
// (USER_INACTIVE).
//
// Events: one per changed user (UserActivated, UserSuspended, ...), so a subscriber to
// `userSuspended` or to one user's history sees a suspension whichever mutation made it; a bulk
// call adds one UserBulkAction listing the users it changed. All of them are written in the
// transaction that makes the change.
import { assertCan } from '../../auth/policy.js';
import { actorId, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError, DomainError, ForbiddenError, type FieldProblem } from '../../errors.js';
import type { EventsService } from '../../events/event.service.js';
import type { BulkAction, NewUserEvent, UserEvent } from '../../events/user-event.model.js';
import type { Tx } from '../../events/user-event.repository.js';
import type { UserRecord } from '../user.model.js';
import { UserErasedError, UserInactiveError, UserNotFoundError } from '../user.error.js';
import { assertUuid, isUuid, reasonRule, zodProblems } from '../user.validation.js';
import type { LifecycleChange, LifecycleRepository, LifecycleRow } from './lifecycle.repository.js';

export const MAX_BULK_IDS = 1000;

export type LifecycleAction = 'ACTIVATE' | 'DEACTIVATE' | 'SUSPEND' | 'UNSUSPEND' | 'DELETE' | 'RESTORE' | 'LOCK' | 'UNLOCK';

/**
 * What nobody may do to themselves: each locks the caller out (or takes away what they could
 * undo it with), and another admin would have to repair it. DEMOTE is updateUser's role change.
 */
const NOT_YOURSELF = {
  DEACTIVATE: 'You cannot deactivate yourself',
  SUSPEND: 'You cannot suspend yourself',
  DELETE: 'You cannot delete yourself',
  DEMOTE: 'You cannot demote yourself',
} as const;

export type SelfLockout = keyof typeof NOT_YOURSELF;

/** FORBIDDEN when `userId` is the caller's own and `action` would lock them out; else undefined. */
export function refuseOnYourself(principal: Principal, userId: string, action: LifecycleAction | SelfLockout): ForbiddenError | undefined {
  if (!Object.hasOwn(NOT_YOURSELF, action) || principal.userId.toLowerCase() !== userId.toLowerCase()) return undefined;
  return new ForbiddenError(NOT_YOURSELF[action as SelfLockout]);
}

/** Why one id of a bulk action was not applied (the GraphQL enum BulkFailureCode). */
export const BULK_FAILURE_CODES = ['USER_MANAGEMENT_USER_NOT_FOUND', 'USER_MANAGEMENT_USER_INACTIVE', 'FORBIDDEN', 'BAD_USER_INPUT'] as const;
export type BulkFailureCode = (typeof BULK_FAILURE_CODES)[number];

export interface BulkFailure {
  id: string;
  code: BulkFailureCode;
  message: string;
}

function bulkFailureCode(code: string): BulkFailureCode {
  if ((BULK_FAILURE_CODES as readonly string[]).includes(code)) return code as BulkFailureCode;
  // decide() produced an error the schema has no value for: a bug, masked to the client.
  throw new Error(`bulk failure code ${code} is not in BULK_FAILURE_CODES`);
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

  /** Soft delete: the row stays with deletedAt set, and the email is free again. */
  delete(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'DELETE', id, { kind: 'delete' });
  }

  /** Undoes a soft delete; USER_MANAGEMENT_USER_ALREADY_EXISTS if a live user took the email. */
  restore(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'RESTORE', id, { kind: 'restore' });
  }

  /** Clears a login lock (USER_UNLOCKED); a user who is not locked is returned unchanged. */
  unlock(principal: Principal, id: string): Promise<UserRecord> {
    return this.single(principal, 'UNLOCK', id, { kind: 'unlock' });
  }

  /**
   * Locks an account after too many failed logins (auth/login.throttle.ts decides when, and
   * until when). Automatic: no principal, no actor. Ends the account's sessions, like any change
   * that ends its access. Nothing happens to a deleted or unknown id.
   */
  async lockAfterFailedLogins(userId: string, until: Date): Promise<void> {
    const change: LifecycleChange = { kind: 'lock', until };
    const stored = await this.repository.transaction(async (repo, tx) => {
      const rows = await repo.lock([userId]);
      const live = rows.filter((r) => !r.deletedAt);
      await repo.apply(live, change, null, this.clock.now(), { newVersion: false });
      return this.events.record(tx, live.map((r): NewUserEvent => ({ type: 'USER_LOCKED', actor: null, payload: { userId: r.id, until } })));
    });
    this.events.committed(stored);
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
        const events = ids.map((userId): NewUserEvent => ({ type: 'USER_UNSUSPENDED', actor: null, payload: { userId, expired: true } }));
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

  /**
   * updateUser's `isActive`, inside the update's transaction `tx`, after the update wrote its
   * other fields and made the row's new version (so this adds none: one update, one version).
   * The same rules and SQL as activateUser/deactivateUser; throws what they would report. Returns
   * the state event (UserActivated/UserDeactivated) for the caller to record after its
   * UserUpdated, or nothing when the user already was in that state.
   */
  async setActiveWithin(tx: Tx, principal: Principal, userId: string, isActive: boolean, now: Date): Promise<NewUserEvent[]> {
    assertCan(principal, 'users.write');
    const change: LifecycleChange = isActive ? { kind: 'activate' } : { kind: 'deactivate' };
    const verdict = await this.decideAndApply(this.repository.within(tx), principal, isActive ? 'ACTIVATE' : 'DEACTIVATE', [userId], change, now, false);
    const failure = verdict.failures[0];
    if (failure) throw failure.error;
    return verdict.changed.map((id) => eventFor(change, id, principal.userId));
  }

  private async single(principal: Principal, action: LifecycleAction, id: string, change: LifecycleChange): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    const outcome = await this.apply(principal, action, [userId], change, undefined);
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
    const outcome = await this.apply(principal, action, ids, resolvedChange, action);
    const failed = [...malformed, ...outcome.failures.map(({ id, error }) => ({ id, code: bulkFailureCode(error.code), message: error.message }))];
    return { action, requested: seen.size, succeeded: outcome.succeeded, failed };
  }

  /**
   * Locks the rows, decides per id, applies the change to those that need it, records events
   * (with a UserBulkAction naming `bulk` for a bulk call).
   */
  private async apply(principal: Principal, action: LifecycleAction, ids: string[], change: LifecycleChange, bulk: (LifecycleAction & BulkAction) | undefined): Promise<Outcome> {
    const by = principal.userId;
    const { outcome, stored } = await this.repository.transaction(async (repo, tx) => {
      const { succeeded, changed, failures } = await this.decideAndApply(repo, principal, action, ids, change, this.clock.now(), true);
      const events = changed.map((userId) => eventFor(change, userId, by));
      if (bulk && changed.length > 0) events.push({ type: 'USER_BULK_ACTION', actor: by, payload: { action: bulk, userIds: changed } });
      const stored: UserEvent[] = await this.events.record(tx, events);
      const records = bulk ? [] : await repo.records(succeeded);
      return { outcome: { succeeded, failures, records }, stored };
    });
    this.events.committed(stored);
    return outcome;
  }

  /** The one path every state change takes: lock the rows, decide per id, write the changes. */
  private async decideAndApply(
    repo: LifecycleRepository,
    principal: Principal,
    action: LifecycleAction,
    ids: readonly string[],
    change: LifecycleChange,
    now: Date,
    newVersion: boolean,
  ): Promise<{ succeeded: string[]; changed: string[]; failures: Outcome['failures'] }> {
    const rows = new Map((await repo.lock(ids)).map((r) => [r.id, r]));
    const succeeded: string[] = [];
    const changed: LifecycleRow[] = [];
    const failures: Outcome['failures'] = [];
    for (const id of ids) {
      const row = rows.get(id);
      const verdict = decide(action, row, id, principal);
      if (verdict instanceof DomainError) failures.push({ id, error: verdict });
      else {
        succeeded.push(id);
        if (verdict === 'change') changed.push(row!);
      }
    }
    await repo.apply(changed, change, actorId(principal), now, { newVersion });
    return { succeeded, changed: changed.map((r) => r.id), failures };
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
  if (!row) return new UserNotFoundError(id);
  // Restoring is the one change a deleted user can take; a live one has nothing to restore.
  if (action === 'RESTORE') return row.erasedAt ? new UserErasedError(id) : row.deletedAt ? 'change' : 'noop';
  if (row.deletedAt) return new UserNotFoundError(id);
  const yourself = refuseOnYourself(principal, id, action);
  if (yourself) return yourself;
  switch (action) {
    case 'ACTIVATE':
      return row.isActive ? 'noop' : 'change';
    case 'DEACTIVATE':
      return row.isActive ? 'change' : 'noop';
    case 'SUSPEND':
      if (!row.isActive) return new UserInactiveError(id, `User ${id} is deactivated: activate it before suspending`);
      return 'change';
    case 'UNSUSPEND':
      return row.suspendedAt ? 'change' : 'noop';
    case 'DELETE':
      return 'change';
    case 'UNLOCK':
      return row.lockedUntil ? 'change' : 'noop';
    case 'LOCK':
      return 'change';
  }
}

function eventFor(change: LifecycleChange, userId: string, by: string): NewUserEvent {
  switch (change.kind) {
    case 'activate':
      return { type: 'USER_ACTIVATED', actor: by, payload: { userId } };
    case 'deactivate':
      return { type: 'USER_DEACTIVATED', actor: by, payload: { userId } };
    case 'suspend':
      return { type: 'USER_SUSPENDED', actor: by, payload: { userId, reason: change.reason, until: change.until } };
    case 'unsuspend':
      return { type: 'USER_UNSUSPENDED', actor: by, payload: { userId, expired: false } };
    case 'delete':
      return { type: 'USER_DELETED', actor: by, payload: { userId } };
    case 'restore':
      return { type: 'USER_RESTORED', actor: by, payload: { userId } };
    case 'lock':
      return { type: 'USER_LOCKED', actor: by, payload: { userId, until: change.until } };
    case 'unlock':
      return { type: 'USER_UNLOCKED', actor: by, payload: { userId } };
  }
}
