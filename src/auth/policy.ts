// The one permission table: which roles hold each named permission. Nothing else lists roles.
// A root field declares the permission it needs (@Authorized('users.write'), checked by the
// authChecker before the resolver runs); the service it calls asserts the same permission
// (assertCan), so a library caller or a future resolver cannot skip the rule. The README's
// "Who may do what" table is this table (tests/unit/policy.test.ts compares them), and
// tests/medium/auth-decisions.test.ts runs every root field once to check that the permission
// its service asserts is the one its resolver declares.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ForbiddenError, PasswordChangeRequiredError, UnauthenticatedError } from '../errors.js';
import type { Role } from '../users/user.model.js';
import { actorId, type Principal } from './principal.js';

/**
 * Held by every signed-in caller whatever their roles: a token from an external identity provider
 * may carry none of ours, and its holder may still ask who they are.
 */
export const SIGNED_IN = 'signed in';

export const PERMISSIONS = {
  /** `me`, and `user(id)` or a related user (createdBy, ...) when it is yourself. */
  'self.read': SIGNED_IN,
  /** `updateMe`: your own profile fields. */
  'self.update': SIGNED_IN,
  /** `changeMyPassword`: your own password, knowing the current one. */
  'self.password': SIGNED_IN,
  /** Anyone's record: `user(id)`, `userByEmail`, `users`, and related users on any record. */
  'users.read': ['ADMIN', 'VIEWER'],
  /** Soft-deleted users: `filter.deleted` INCLUDE or ONLY, in `users` and `exportUsers`. */
  'users.readDeleted': ['ADMIN'],
  /** Create, update and delete users, and every lifecycle and bulk mutation. */
  'users.write': ['ADMIN'],
  /** `eraseUser`: irreversible removal of a user's personal data (GDPR Art. 17). */
  'users.erase': ['ADMIN'],
  /** `exportUserData`: everything stored about one user (GDPR Art. 15). */
  'users.subjectAccess': ['ADMIN'],
  'stats.read': ['ADMIN', 'VIEWER'],
  /** `userEventLog` and the event subscriptions. */
  'events.read': ['ADMIN', 'VIEWER'],
  /** Opening a graphql-ws connection at all (checked once, at connect). */
  'subscriptions.connect': ['ADMIN', 'VIEWER'],
  /** `importUsers`, `userImport`, `cancelUserImport`, `userImportProgress`. */
  'imports.run': ['ADMIN'],
  'exports.run': ['ADMIN', 'VIEWER'],
  /** Your own sign-in sessions: `mySessions`, `logout`, `logoutEverywhere`. */
  'sessions.own': SIGNED_IN,
  /** Anyone's sessions: `userSessions`, `revokeUserSessions`. */
  'sessions.manage': ['ADMIN'],
  /** The login history: `userLoginHistory`, `loginHistory`. */
  'loginHistory.read': ['ADMIN'],
  /** Outbound webhooks: `webhooks`, `webhookDeliveries`, create, update, delete, rotate the secret. */
  'webhooks.manage': ['ADMIN'],
} as const satisfies Record<string, readonly Role[] | typeof SIGNED_IN>;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

/**
 * What a token that must change its password first still allows (see Principal): the root fields
 * (checked by the authChecker) and the permissions their services assert.
 */
export const PASSWORD_CHANGE_FIELDS: readonly string[] = ['me', 'changeMyPassword'];
const PASSWORD_CHANGE_PERMISSIONS: readonly Permission[] = ['self.read', 'self.password'];

/** Whether the caller holds the permission. Records nothing: for checks that are not a service's assertion. */
export function holds(principal: Principal | undefined, permission: Permission): boolean {
  if (!principal) return false;
  if (principal.passwordChangeRequired && !PASSWORD_CHANGE_PERMISSIONS.includes(permission)) return false;
  const holders: readonly Role[] | typeof SIGNED_IN = PERMISSIONS[permission];
  return holders === SIGNED_IN || principal.roles.some((role) => holders.includes(role));
}

/** "ADMIN or VIEWER": who holds the permission, as error messages name it. */
export function holdersOf(permission: Permission): string {
  const holders: readonly Role[] | typeof SIGNED_IN = PERMISSIONS[permission];
  return holders === SIGNED_IN ? 'any signed-in caller' : holders.join(' or ');
}

/** The message a refused permission gives (the same from the authChecker and from services). */
export function refusal(permission: Permission): string {
  return `Requires role ${holdersOf(permission)}`;
}

/**
 * A service's assertion: UNAUTHENTICATED without a principal, FORBIDDEN without the permission.
 * Recorded (see recordAssertions) whether it passes or not.
 */
export function assertCan(principal: Principal | undefined, permission: Permission, message = refusal(permission)): Principal {
  asserted.getStore()?.push(permission);
  if (!principal) throw new UnauthenticatedError();
  if (principal.passwordChangeRequired && !PASSWORD_CHANGE_PERMISSIONS.includes(permission)) throw new PasswordChangeRequiredError();
  if (!holds(principal, permission)) throw new ForbiddenError(message);
  return principal;
}

// --- Rules that combine a permission with the request ------------------------------------------

/**
 * The one rule for reading a user's record, wherever it appears: `user(id)`, and every field that
 * returns a User on another object (createdBy, updatedBy, deletedBy, ...). `users.read` reads
 * anyone; `self.read` only yourself. It needs only the id, so callers decide before loading
 * anything. Nobody (an anonymous caller) reads nobody.
 */
export function canReadUser(principal: Principal | undefined, userId: string): boolean {
  return holds(principal, 'users.read') || (holds(principal, 'self.read') && actorId(principal) === userId.toLowerCase());
}

/** `user(id)`: asserts self.read, then FORBIDDEN when canReadUser says no (before any lookup: no existence leak). */
export function assertCanReadUser(principal: Principal | undefined, userId: string): Principal {
  const caller = assertCan(principal, 'self.read');
  if (!canReadUser(caller, userId)) throw new ForbiddenError(`${refusal('users.read')}, or your own id`);
  return caller;
}

/** `filter.deleted` INCLUDE and ONLY show soft-deleted users: the listing and the export alike. */
export function assertCanFilterDeleted(principal: Principal | undefined, deleted: string | null | undefined): void {
  if ((deleted ?? 'EXCLUDE') === 'EXCLUDE') return;
  assertCan(principal, 'users.readDeleted', `filter.deleted INCLUDE and ONLY require role ${holdersOf('users.readDeleted')}`);
}

// --- Which permissions the services asserted --------------------------------------------------

const asserted = new AsyncLocalStorage<Permission[]>();

/**
 * Runs `work` and lists, in order, the permissions assertCan was asked about while it (and the
 * asynchronous work it started) ran. The check that a resolver and its service name the same
 * permission uses it; outside a recording, assertCan only pays for one lookup of an empty store.
 */
export function recordAssertions<T>(work: () => T): { result: T; asserted: Permission[] } {
  const list: Permission[] = [];
  const result = asserted.run(list, work);
  return { result, asserted: list };
}
