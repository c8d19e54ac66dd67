// Who is calling: taken from a verified token, then checked against the account (AccessCache), which
// also replaces our own tokens' roles with the account's current role.
import type { Role } from '../users/user.model.js';

export interface Principal {
  /** The token's `sub`: a user id for our own tokens, any subject for an external IdP. */
  userId: string;
  roles: Role[];
  /** When the token stops being valid (subscriptions close their socket then). */
  expiresAt: Date;
  /** Our own tokens: the sign-in session they belong to (claim `sid`); ending it refuses them. */
  sessionId?: string | undefined;
  /** Signed by an external identity provider (JWKS_URL) rather than by us. */
  external?: boolean | undefined;
  /**
   * The token came from a login whose password must be changed (setUserPassword with
   * requireChange): it allows only the fields in PASSWORD_CHANGE_FIELDS (policy.ts).
   */
  passwordChangeRequired?: boolean;
}

/** A user id for audit columns, or null for subjects that are not UUIDs (external IdP, system). */
export function actorId(principal: Principal | undefined): string | null {
  const id = principal?.userId;
  return id && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : null;
}

/** The principal library code and operator CLIs act as. Permissions and their assertions live in policy.ts. */
export const SYSTEM_PRINCIPAL: Principal = {
  userId: 'system',
  roles: ['ADMIN'],
  expiresAt: new Date(8.64e15),
};
