// The rules for users: the permission each operation asserts, input validation, hashing,
// optimistic concurrency, and the events each change records (in the transaction that makes it).
// State changes (isActive, deletion) are the lifecycle's: updateUser hands isActive to it.
// Transport-agnostic: resolvers, the CSV importer and library callers all come through here.
import type { PasswordHasher } from '../auth/password.hasher.js';
import { assertCan, assertCanFilterDeleted, assertCanReadUser } from '../auth/policy.js';
import { actorId, type Principal } from '../auth/principal.js';
import { BadUserInputError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { EventsService } from '../events/event.service.js';
import type { FieldChange, NewUserEvent } from '../events/user-event.model.js';
import { refuseOnYourself, type LifecycleService } from './lifecycle/lifecycle.service.js';
import { userStatus, type RecordField } from './user.columns.js';
import type { UserChanges, UserRecord } from './user.model.js';
import { UserInactiveError, UserNotFoundError, VersionConflictError } from './user.error.js';
import type { UsersRepository } from './user.repository.js';
import {
  assertUuid,
  createUserSchema,
  lookupEmail,
  parseInput,
  profileSchema,
  updateUserSchema,
  type CreateUserInput,
  type ProfileInput,
  type UpdateUserInput,
} from './user.validation.js';
import { assertAttributes, attributeChanges, isJsonObject, mergePatch, type JsonObject, type JsonValue } from './user.attributes.js';
import { storableTextProblem } from '../text.js';
import { ListingService, type ListUsersArgs, type UserPage } from './listing/listing.service.js';

export class UsersService {
  private readonly listing: ListingService;

  constructor(
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly events: EventsService,
    private readonly lifecycle: LifecycleService,
  ) {
    this.listing = new ListingService(repository, clock);
  }

  /** `fields`: the record fields the caller will read (default all). */
  async me(principal: Principal, fields?: readonly RecordField[]): Promise<UserRecord> {
    assertCan(principal, 'self.read');
    return this.own(principal, fields);
  }

  /** The caller's own live record (USER_MANAGEMENT_USER_NOT_FOUND for a subject that is no user of ours). */
  private async own(principal: Principal, fields?: readonly RecordField[]): Promise<UserRecord> {
    const id = actorId(principal);
    const user = id ? await this.repository.findById(id, { fields }) : null;
    if (!user) throw new UserNotFoundError(principal.userId);
    return user;
  }

  /** `user(id)`: yourself with self.read, anyone with users.read (canReadUser), decided before the lookup (no existence leak). */
  async getById(principal: Principal, id: string, fields?: readonly RecordField[]): Promise<UserRecord | null> {
    const userId = assertUuid(id);
    assertCanReadUser(principal, userId);
    return this.repository.findById(userId, { fields });
  }

  async getByEmail(principal: Principal, email: string): Promise<UserRecord | null> {
    assertCan(principal, 'users.read');
    return this.repository.findByEmail(lookupEmail(email, 'email'));
  }

  /** Exact match: external ids are case-sensitive. */
  async getByExternalId(principal: Principal, externalId: string): Promise<UserRecord | null> {
    assertCan(principal, 'users.read');
    const problem = storableTextProblem(externalId);
    if (problem) throw BadUserInputError.field('externalId', problem);
    return this.repository.findByExternalId(externalId.trim());
  }

  /** `fields`: the record fields the caller will read (default all), see ListingService.page. */
  async list(principal: Principal, args: ListUsersArgs, fields?: readonly RecordField[]): Promise<UserPage> {
    assertCan(principal, 'users.read');
    assertCanFilterDeleted(principal, args.filter?.deleted);
    return this.listing.page(args, fields);
  }

  async create(principal: Principal, input: CreateUserInput | Record<string, unknown>): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const data = parseInput(createUserSchema, input, 'input');
    const { password, ...rest } = data;
    const passwordHash = password ? await this.hasher.hash(password) : null;
    const { user, stored } = await this.repository.transaction(async (repo, tx) => {
      const user = await repo.insert({ ...rest, passwordHash }, actorId(principal));
      const stored = await this.events.record(tx, { type: 'USER_CREATED', actor: principal.userId, payload: { userId: user.id, email: user.email } });
      return { user, stored };
    });
    this.events.committed(stored);
    return user;
  }

  async update(
    principal: Principal,
    id: string,
    input: UpdateUserInput | Record<string, unknown>,
    expectedVersion?: number | null,
  ): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    const data = parseInput(updateUserSchema, input, 'input');
    // isActive is a state change: the lifecycle applies it (see applyUpdate), not this update.
    const { password, isActive, ...rest } = data;
    const changes: UserChanges = { ...rest };
    if (password !== undefined) changes.passwordHash = password === null ? null : await this.hasher.hash(password);
    // Refused before anything is read, as deactivateUser would refuse it.
    const yourself =
      (changes.role !== undefined && changes.role !== 'ADMIN' ? refuseOnYourself(principal, userId, 'DEMOTE') : undefined) ??
      (isActive === false ? refuseOnYourself(principal, userId, 'DEACTIVATE') : undefined);
    if (yourself) throw yourself;
    // A deactivated user is changed only by an update that also reactivates it.
    const requireActive = (before: UserRecord) => {
      if (!before.isActive && isActive !== true) {
        throw new UserInactiveError(userId, `User ${userId} is deactivated: activate it (or set isActive: true) before updating`);
      }
    };
    return this.applyUpdate(principal, userId, changes, expectedVersion ?? undefined, requireActive, isActive);
  }

  /**
   * An RFC 7396 merge patch on the user's attributes, applied to the locked row so concurrent
   * patches of different keys both land. The result must still be within the limits (BAD_USER_INPUT
   * on `patch` otherwise). A deactivated user is refused, as updateUser refuses it.
   */
  async patchAttributes(principal: Principal, id: string, patch: unknown, expectedVersion?: number | null): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    if (!isJsonObject(patch)) throw BadUserInputError.field('patch', 'must be a JSON object (a merge patch)');
    const patched = (before: UserRecord): { attributes: JsonObject } => ({
      attributes: assertAttributes(mergePatch(before.attributes as JsonValue, patch), 'patch'),
    });
    const requireActive = (before: UserRecord) => {
      if (!before.isActive) throw new UserInactiveError(userId, `User ${userId} is deactivated: activate it before updating`);
    };
    return this.applyUpdate(principal, userId, patched, expectedVersion ?? undefined, requireActive);
  }

  async updateMe(principal: Principal, input: ProfileInput | Record<string, unknown>): Promise<UserRecord> {
    assertCan(principal, 'self.update');
    const me = await this.own(principal);
    const changes = parseInput(profileSchema, input, 'input');
    // A token issued before a deactivation or suspension is still valid until it expires.
    const requireActive = (before: UserRecord) => {
      if (userStatus(before, this.clock.now()) !== 'ACTIVE') throw new UserInactiveError(me.id, 'Your account is not active');
    };
    return this.applyUpdate(principal, me.id, changes, undefined, requireActive);
  }

  /**
   * One transaction: the field changes (with the version check), then `isActive` through the
   * lifecycle, then the events: UserUpdated listing every changed field (isActive included), then
   * the lifecycle's UserActivated/UserDeactivated. One update is one new version.
   */
  private async applyUpdate(
    principal: Principal,
    id: string,
    changesOrPatch: UserChanges | ((before: UserRecord) => UserChanges),
    expectedVersion?: number,
    precondition?: (before: UserRecord) => void,
    isActive?: boolean,
  ): Promise<UserRecord> {
    if (expectedVersion !== undefined && (!Number.isInteger(expectedVersion) || expectedVersion < 1)) {
      throw BadUserInputError.field('expectedVersion', 'must be a positive integer');
    }
    const { outcome, stored } = await this.repository.transaction(async (repo, tx) => {
      const now = this.clock.now();
      let changes: UserChanges = {};
      const outcome = await repo.update(
        id,
        (before) => (changes = typeof changesOrPatch === 'function' ? changesOrPatch(before) : changesOrPatch),
        actorId(principal),
        now,
        expectedVersion,
        precondition,
      );
      if (outcome.kind !== 'updated') return { outcome, stored: [] };
      const stateEvents = isActive === undefined ? [] : await this.lifecycle.setActiveWithin(tx, principal, id, isActive, now);
      const after = stateEvents.length > 0 ? ((await repo.findById(id, { includeDeleted: true })) ?? outcome.user) : outcome.user;
      const events = [...updateEvents(outcome.before, after, changes, principal.userId), ...stateEvents];
      return { outcome: { ...outcome, user: after }, stored: await this.events.record(tx, events) };
    });
    this.events.committed(stored);
    switch (outcome.kind) {
      case 'updated':
        return outcome.user;
      case 'not_found':
        throw new UserNotFoundError(id);
      case 'version_conflict':
        throw new VersionConflictError(id, expectedVersion ?? outcome.actual, outcome.actual);
    }
  }
}

// Fields whose old and new values a UserUpdated event shows. The password is never among them:
// the event only says whether it changed.
const AUDITED_FIELDS = ['email', 'name', 'firstName', 'lastName', 'phoneNumber', 'avatarUrl', 'externalId', 'role', 'isActive', 'isEmailVerified'] as const;

/** UserUpdated, when anything changed (isActive's own event comes from the lifecycle). */
function updateEvents(before: UserRecord, after: UserRecord, requested: UserChanges, by: string): NewUserEvent[] {
  const changes: FieldChange[] = [];
  for (const field of AUDITED_FIELDS) {
    if (before[field] !== after[field]) changes.push({ field, from: render(before[field]), to: render(after[field]) });
  }
  // One change per top-level attribute key (`attributes.plan`), values as JSON text.
  for (const { key, from, to } of attributeChanges(before.attributes as JsonValue, after.attributes as JsonValue)) {
    changes.push({ field: `attributes.${key}`, from, to });
  }
  const passwordChanged = requested.passwordHash !== undefined;
  if (changes.length === 0 && !passwordChanged) return [];
  return [{ type: 'USER_UPDATED', actor: by, payload: { userId: after.id, changes, passwordChanged } }];
}

function render(value: string | boolean | null): string | null {
  return value === null ? null : String(value);
}
