// Every root field carries an explicit decision: @Authorized(permission) (a permission from
// policy.ts, checked against the token's roles) or @Public(). Every other field that returns a
// User carries @UserAccess(...). tests/unit/auth-decisions.test.ts fails when a field has no
// decision, and tests/medium/auth-decisions.test.ts when a service asserts another permission.
import { Authorized as TypeGraphQLAuthorized, Extensions, type AuthChecker } from 'type-graphql';
import { ForbiddenError, PasswordChangeRequiredError, UnauthenticatedError } from '../errors.js';
import { holds, isPermission, PASSWORD_CHANGE_FIELDS, refusal, type Permission } from './policy.js';
import type { Principal } from './principal.js';

export interface AuthContext {
  principal?: Principal | undefined;
  /** Set when a token was sent but failed verification: reported on the first protected field. */
  authError?: Error | undefined;
}

/** Declares the one permission a root field needs (the authChecker checks it before the resolver runs). */
export function Authorized(permission: Permission): MethodDecorator & PropertyDecorator {
  return TypeGraphQLAuthorized<Permission>(permission);
}

export const authChecker: AuthChecker<AuthContext, Permission> = ({ context, info }, permissions) => {
  if (context.authError) throw context.authError;
  if (!context.principal) throw new UnauthenticatedError();
  if (context.principal.passwordChangeRequired && !PASSWORD_CHANGE_FIELDS.includes(info.fieldName)) throw new PasswordChangeRequiredError();
  const [permission, ...more] = permissions;
  // A bare @Authorized() or a list would be a decision nobody can read off the permission table.
  if (!isPermission(permission) || more.length > 0)
    throw new Error(`@Authorized needs exactly one permission, got ${JSON.stringify(permissions)}`);
  if (holds(context.principal, permission)) return true;
  throw new ForbiddenError(refusal(permission));
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
 * - `'canRead'`: the resolver returns the user only when canReadUser (policy.ts) allows it, and
 *   null otherwise (so the field must be nullable);
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
