// Secure by default: every Query, Mutation and Subscription field must carry an explicit
// authorization decision, @Authorized(permission) or @Public(), and so must every other field that
// returns a user (@UserAccess). A new resolver or field without one fails here. Each root field
// also needs a sample operation, which tests/medium/auth-decisions.test.ts runs to check that the
// service behind the field asserts the permission the resolver declares.
import { buildSchema, getNamedType, isInterfaceType, isNonNullType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { describe, expect, it } from 'vitest';
import { isPublicField, USER_ACCESS_EXTENSION, type UserAccessDecision } from '../../src/auth/auth.checker.js';
import { isPermission, PERMISSIONS, SIGNED_IN } from '../../src/auth/policy.js';
import { createSchema } from '../../src/schema.js';
import { rootFieldDecisions } from '../testkit/permissions.js';
import { isPublicEntry, ROOT_FIELD_SAMPLES } from '../testkit/root-field-samples.js';

describe('authorization decisions', () => {
  it('every root field is @Authorized or @Public', async () => {
    const schema = await createSchema();
    const storage = getMetadataStorage();
    const rootFields = [...storage.queries, ...storage.mutations, ...storage.subscriptions];
    const inSchema = new Set(
      [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
        type ? Object.keys(type.getFields()) : [],
      ),
    );
    // Every schema root field comes from type-graphql metadata we can inspect.
    expect(new Set(rootFields.map((f) => f.schemaName))).toEqual(inSchema);

    const undecided = rootFields
      .filter((field) => {
        const authorized = storage.authorizedFields.some((a) => a.target === field.target && a.fieldName === field.methodName);
        return !authorized && !isPublicField(field.target.name, field.methodName);
      })
      .map((f) => `${f.target.name}.${f.methodName}`);
    expect(undecided).toEqual([]);
  });

  it('only login and refreshSession are public', async () => {
    await createSchema();
    const storage = getMetadataStorage();
    const publicFields = [...storage.queries, ...storage.mutations, ...storage.subscriptions]
      .filter((f) => isPublicField(f.target.name, f.methodName))
      .map((f) => f.schemaName);
    expect(publicFields.sort()).toEqual(['login', 'refreshSession']);
  });
});

describe('permissions of root fields', () => {
  it('every @Authorized root field names exactly one permission of the table (policy.ts)', async () => {
    await createSchema();
    const wrong = [...rootFieldDecisions()]
      .filter(([, d]) => d.declared !== 'public' && !(d.declared?.length === 1 && isPermission(d.declared[0])))
      .map(([name, d]) => `${name}: ${JSON.stringify(d.declared)}`);
    expect(wrong).toEqual([]);
  });

  it('every root field has a sample operation (tests/testkit/root-field-samples.ts), public ones are marked so', async () => {
    await createSchema();
    const decisions = rootFieldDecisions();
    // Both ways: a field without a sample, or a sample for a field that no longer exists.
    expect(Object.keys(ROOT_FIELD_SAMPLES).sort()).toEqual([...decisions.keys()].sort());
    for (const [name, entry] of Object.entries(ROOT_FIELD_SAMPLES)) {
      expect(isPublicEntry(entry), `${name}: public in the samples exactly when @Public()`).toBe(decisions.get(name)?.declared === 'public');
      if (!isPublicEntry(entry)) {
        const operation = decisions.get(name)!.operation;
        // A bare selection set is a query.
        const kind = /^\s*(query|mutation|subscription)\b/.exec(entry.operation)?.[1] ?? 'query';
        expect(kind, `${name}'s sample is a ${operation}`).toBe(operation);
        expect(entry.operation, `${name}'s sample selects ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      }
    }
  });

  it("a subscription's permission is held only by roles that may open a subscription socket", async () => {
    await createSchema();
    const connect = PERMISSIONS['subscriptions.connect'];
    expect(connect).not.toBe(SIGNED_IN);
    for (const [name, d] of rootFieldDecisions()) {
      if (d.operation !== 'subscription' || d.declared === 'public' || !isPermission(d.declared?.[0])) continue;
      const holders = PERMISSIONS[d.declared[0]];
      // Otherwise a role would hold the permission yet never get through the socket's door.
      expect(holders, `${name} (${d.declared[0]})`).not.toBe(SIGNED_IN);
      for (const role of holders as readonly string[]) expect(connect, `${name}: ${role} may not connect`).toContain(role);
    }
  });
});

// Root fields are not the only way to reach a user's record: any field of type User or [User] on
// another type (User.createdBy, AuthPayload.user, UserEdge.node, ...) returns one. Each must
// declare @UserAccess: 'canRead' (filtered through UsersService.canRead, so nullable) or the root
// fields it can only be reached through.
describe('authorization decisions on fields that return a user', () => {
  it('every non-root field of type User or [User] declares @UserAccess', async () => {
    const schema = await createSchema();
    const { undecided, decided } = userFieldDecisions(schema);
    expect(undecided).toEqual([]);
    // The walk finds the fields we know about (so it cannot pass by finding nothing).
    expect(Object.keys(decided)).toEqual(expect.arrayContaining(['User.createdBy', 'User.updatedBy', 'User.deletedBy', 'AuthPayload.user', 'UserEdge.node']));
    expect(decided['User.createdBy']).toBe('canRead');
  });

  it('canRead fields are nullable, and inherited ones name existing root fields and a reason', async () => {
    const schema = await createSchema();
    const rootFields = new Set(
      [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => (type ? Object.keys(type.getFields()) : [])),
    );
    for (const [name, decision] of Object.entries(userFieldDecisions(schema).decided)) {
      const [typeName, fieldName] = name.split('.') as [string, string];
      const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
      if (decision === 'canRead') {
        expect(isNonNullType(field.type), `${name} answers null when canRead says no, so it must be nullable`).toBe(false);
      } else {
        expect(decision.why.length, `${name} says why`).toBeGreaterThan(0);
        expect(decision.inheritedFrom.length).toBeGreaterThan(0);
        for (const root of decision.inheritedFrom) expect(rootFields, `${name} inherits from ${root}`).toContain(root);
      }
    }
  });

  it('the check catches a new field of type User without a decision', () => {
    const schema = buildSchema(`
      type User { id: ID! manager: User }
      type Team { members: [User!]! lead: User }
      type Query { me: User team: Team }
    `);
    expect(userFieldDecisions(schema).undecided).toEqual(['User.manager', 'Team.members', 'Team.lead']);
  });
});

/** Every field of type User / [User] outside the root types, with its declared decision (if any). */
function userFieldDecisions(schema: GraphQLSchema): { undecided: string[]; decided: Record<string, UserAccessDecision> } {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
  const undecided: string[] = [];
  const decided: Record<string, UserAccessDecision> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith('__') || roots.has(type as GraphQLObjectType)) continue;
    for (const field of Object.values(type.getFields())) {
      if (getNamedType(field.type).name !== 'User') continue;
      const decision = field.extensions[USER_ACCESS_EXTENSION] as UserAccessDecision | undefined;
      if (decision) decided[`${type.name}.${field.name}`] = decision;
      else undecided.push(`${type.name}.${field.name}`);
    }
  }
  return { undecided, decided };
}
