// Secure by default: every Query, Mutation and Subscription field must carry an explicit
// authorization decision, @Authorized(...) or @Public(), and so must every other field that
// returns a user (@UserAccess). A new resolver or field without one fails here.
import { buildSchema, getNamedType, isInterfaceType, isNonNullType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { describe, expect, it } from 'vitest';
import { isPublicField, USER_ACCESS_EXTENSION, type UserAccessDecision } from '../../src/auth/auth-checker.js';
import { createSchema } from '../../src/schema.js';

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

  it('only login is public', async () => {
    await createSchema();
    const storage = getMetadataStorage();
    const publicFields = [...storage.queries, ...storage.mutations, ...storage.subscriptions]
      .filter((f) => isPublicField(f.target.name, f.methodName))
      .map((f) => f.schemaName);
    expect(publicFields).toEqual(['login']);
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
