// The domain's view of a user row (what the repository returns and services pass around).
// passwordHash is deliberately absent: only the credentials path reads it, via its own method.
import type { UserStatus } from './listing/listing.model.js';

export const ROLES = ['ADMIN', 'VIEWER', 'USER'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  avatarUrl: string | null;
  isActive: boolean;
  isEmailVerified: boolean;
  role: Role;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  createdById: string | null;
  updatedById: string | null;
  deletedById: string | null;
  version: number;
  suspendedAt: Date | null;
  suspendedUntil: Date | null;
  suspensionReason: string | null;
}

type StatusFields = Pick<UserRecord, 'deletedAt' | 'isActive' | 'suspendedAt' | 'suspendedUntil'>;

/**
 * The derived status. Keep in step with statusExpression() in listing/listing.sql.ts.
 * A suspension whose `until` has passed no longer counts even before the expiry job clears it,
 * so login and listings are right to the millisecond whatever the job's timing.
 */
export function userStatus(user: StatusFields, now: Date): UserStatus {
  if (user.deletedAt) return 'DELETED';
  if (isSuspended(user, now)) return 'SUSPENDED';
  return user.isActive ? 'ACTIVE' : 'INACTIVE';
}

export function isSuspended(user: Pick<UserRecord, 'suspendedAt' | 'suspendedUntil'>, now: Date): boolean {
  // Loose checks: rows read with raw SQL that does not select these columns count as not suspended.
  return user.suspendedAt != null && (user.suspendedUntil == null || user.suspendedUntil > now);
}

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
}

export interface NewUser extends UserChanges {
  email: string;
}
