// The domain's view of a user row (what the repository returns and services pass around).
// passwordHash is deliberately absent: only the credentials path reads it, via its own method.
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
