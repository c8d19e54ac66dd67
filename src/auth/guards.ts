// Service-level assertions: the resolver's @Authorized is the first gate; services check again
// so that library callers (and future resolvers) cannot skip the rule.
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Role } from '../users/user.model.js';
import { hasAnyRole, type Principal } from './principal.js';

export function requireRole(principal: Principal | undefined, roles: readonly Role[]): Principal {
  if (!principal) throw new UnauthenticatedError();
  if (!hasAnyRole(principal, roles)) throw new ForbiddenError(`Requires role ${roles.join(' or ')}`);
  return principal;
}

/** The principal library code and operator CLIs act as. */
export const SYSTEM_PRINCIPAL: Principal = {
  userId: 'system',
  roles: ['ADMIN'],
  expiresAt: new Date(8.64e15),
};
