// Every root field carries an explicit decision: @Authorized(...) (roles from the token) or
// @Public(). tests/auth-decisions.test.ts fails when a root field has neither.
import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Role } from '../users/user.model.js';
import { hasAnyRole, type Principal } from './principal.js';

export interface AuthContext {
  principal?: Principal | undefined;
  /** Set when a token was sent but failed verification: reported on the first protected field. */
  authError?: Error | undefined;
}

export const authChecker: AuthChecker<AuthContext, Role> = ({ context }, roles) => {
  if (context.authError) throw context.authError;
  if (!context.principal) throw new UnauthenticatedError();
  if (roles.length === 0 || hasAnyRole(context.principal, roles)) return true;
  throw new ForbiddenError(`Requires role ${roles.join(' or ')}`);
};

const publicFields = new Set<string>();

/** Marks a root field as deliberately open to anonymous callers (e.g. `login`). */
export function Public(): MethodDecorator {
  return (target, propertyKey) => {
    publicFields.add(`${target.constructor.name}.${String(propertyKey)}`);
  };
}

export function isPublicField(className: string, methodName: string): boolean {
  return publicFields.has(`${className}.${methodName}`);
}

export const ADMIN: Role[] = ['ADMIN'];
export const READERS: Role[] = ['ADMIN', 'VIEWER'];
