// Every root field carries an explicit decision: @Authorized(...) (roles from the token) or
// @Public(). Every other field that returns a User carries @UserAccess(...).
// tests/auth-decisions.test.ts fails when a field has no decision.
import { Extensions, type AuthChecker } from 'type-graphql';
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

/**
 * How a field that returns a User (or [User]) on a non-root type is authorized:
 * - `'canRead'`: the resolver returns the user only when UsersService.canRead allows it, and null
 *   otherwise (so the field must be nullable);
 * - `{ inheritedFrom }`: the value can only be reached through the named root fields, whose own
 *   decision already covers reading it (say why).
 */
export type UserAccessDecision = 'canRead' | { inheritedFrom: string[]; why: string };

/** Key of the decision in the GraphQL field's `extensions` (what the schema test reads). */
export const USER_ACCESS_EXTENSION = 'userAccess';

/** Declares how a non-root field returning a User is authorized (see UserAccessDecision). */
export function UserAccess(decision: UserAccessDecision): PropertyDecorator & MethodDecorator {
  return Extensions({ [USER_ACCESS_EXTENSION]: decision });
}

export const ADMIN: Role[] = ['ADMIN'];
export const READERS: Role[] = ['ADMIN', 'VIEWER'];
