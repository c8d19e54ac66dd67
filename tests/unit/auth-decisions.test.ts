// Secure by default: every Query, Mutation and Subscription field must carry an explicit
// authorization decision, @Authorized(...) or @Public(). A new resolver without one fails here.
import { getMetadataStorage } from 'type-graphql';
import { describe, expect, it } from 'vitest';
import { isPublicField } from '../../src/auth/auth-checker.js';
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
