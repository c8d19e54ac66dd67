// The permission each root field declares, read from TypeGraphQL's metadata (what the authChecker
// is handed), for the tests that compare it with the table, the README and the services.
import { getMetadataStorage } from 'type-graphql';
import { isPublicField } from '../../src/auth/auth.checker.js';

export interface RootFieldDecision {
  operation: 'query' | 'mutation' | 'subscription';
  /** What @Authorized was given (exactly one permission when the field is right), or 'public'. */
  declared: unknown[] | 'public' | undefined;
}

/** Every root field by schema name. Call after createSchema(), which fills the metadata. */
export function rootFieldDecisions(): Map<string, RootFieldDecision> {
  const storage = getMetadataStorage();
  const fields = [
    ...storage.queries.map((f) => ({ f, operation: 'query' as const })),
    ...storage.mutations.map((f) => ({ f, operation: 'mutation' as const })),
    ...storage.subscriptions.map((f) => ({ f, operation: 'subscription' as const })),
  ];
  const decisions = new Map<string, RootFieldDecision>();
  for (const { f, operation } of fields) {
    const authorized = storage.authorizedFields.find((a) => a.target === f.target && a.fieldName === f.methodName);
    const declared = isPublicField(f.target.name, f.methodName) ? 'public' : authorized?.roles;
    decisions.set(f.schemaName, { operation, declared });
  }
  return decisions;
}
