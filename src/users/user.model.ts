// The domain's view of a user: roles, the derived statuses, the record, and the changes services
// may make. The record's shape and the status rule live with the users column map (user.columns.ts).
import type { JsonObject } from './user.attributes.js';
import type { UserColumnValues } from './user.columns.js';

export const ROLES = ['ADMIN', 'VIEWER', 'USER'] as const;
export type Role = (typeof ROLES)[number];

/** Derived from the row (see userStatus), never stored. */
/** ERASED: personal data removed by eraseUser (GDPR Art. 17); the row is also deleted. */
export const USER_STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED', 'ERASED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * A user row as repositories return it and services pass it around: one property per readable
 * column of the users column map (user.columns.ts), typed from it. passwordHash is deliberately
 * absent (a secret column there): only the credentials path reads it, via its own method.
 */
export type UserRecord = UserColumnValues;

/** Profile fields a user may change about themselves. */
export interface ProfileChanges {
  name?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phoneNumber?: string | null;
  avatarUrl?: string | null;
}

/** Fields an admin may set. `passwordHash` is already hashed by the service. */
export interface UserChanges extends ProfileChanges {
  email?: string;
  passwordHash?: string | null;
  role?: Role;
  isActive?: boolean;
  isEmailVerified?: boolean;
  /** Replaces the whole object; null clears it. Checked by attributesProblem (user.attributes.ts). */
  attributes?: JsonObject | null;
  externalId?: string | null;
}

export interface NewUser extends UserChanges {
  email: string;
}
