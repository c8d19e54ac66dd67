// Builds the executable schema from the TypeGraphQL classes. Every resolver class is listed
// here; tests/auth-decisions.test.ts checks each root field's authorization decision, and every
// field that takes text is wrapped by the argument guard (http/argument.guard.ts).
import { assertValidSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type PubSub } from 'type-graphql';
import { guardTextArguments } from './http/argument.guard.js';
import { authChecker } from './auth/auth.checker.js';
import { AuthResolver } from './auth/auth.resolver.js';
import { SessionResolver } from './auth/session.resolver.js';
import { LoginHistoryResolver } from './auth/login-history.resolver.js';
import { PageInfoResolver, UserConnectionResolver, UserResolver } from './users/user.resolver.js';
import { StatsResolver } from './users/stats/stats.resolver.js';
import { EventResolver, KIND_SUBSCRIPTION_RESOLVERS } from './events/event.resolver.js';
import { EVENT_OBJECT_TYPES } from './events/event.type.js';
import { LifecycleResolver } from './users/lifecycle/lifecycle.resolver.js';
import { ErasureResolver } from './users/erasure/erasure.resolver.js';
import { CredentialResolver } from './users/credential/credential.resolver.js';
import { SubjectAccessResolver } from './users/subject-access/subject-access.resolver.js';
import { ImportResolver } from './users/import/import.resolver.js';
import { ExportResolver } from './users/export/export.resolver.js';
import { WebhookResolver } from './webhooks/webhook.resolver.js';

export const resolvers = [
  AuthResolver,
  SessionResolver,
  LoginHistoryResolver,
  UserResolver,
  UserConnectionResolver,
  PageInfoResolver,
  StatsResolver,
  LifecycleResolver,
  ErasureResolver,
  CredentialResolver,
  SubjectAccessResolver,
  EventResolver,
  ...KIND_SUBSCRIPTION_RESOLVERS,
  ImportResolver,
  ExportResolver,
  WebhookResolver,
] as const;

/**
 * type-graphql wants a pubsub as soon as the schema has a subscription, but uses it only for
 * `@Subscription({ topics })`. Every subscription here brings its own `subscribe` (an event
 * stream, import progress), so this one refuses to be used: a topics subscription added later
 * fails loudly instead of listening on a pubsub nothing publishes to.
 */
const NO_TOPIC_SUBSCRIPTIONS: PubSub = {
  publish: () => {
    throw new Error('No pubsub: publish events through EventsService');
  },
  subscribe: () => {
    throw new Error('No pubsub: give @Subscription a `subscribe` function instead of `topics`');
  },
};

export interface SchemaOptions {
  emitSchemaFile?: string | false;
  /**
   * type-graphql's own check: run the whole introspection query against the new schema. It was
   * the largest part of building the schema at start (~40%), and it finds little that graphql's
   * validation below misses: mainly a default value that cannot be serialized, which printing the
   * schema finds too. So `schema:emit` / `schema:check` (CI) run it, a start does not.
   */
  introspectionCheck?: boolean;
}

export async function createSchema(options: SchemaOptions = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    // Input rules live in the services (zod), shared with the CSV importer and library callers.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    pubSub: NO_TOPIC_SUBSCRIPTIONS,
    // Event kinds no root field returns by name still belong to the UserEvent interface.
    orphanedTypes: EVENT_OBJECT_TYPES,
    emitSchemaFile: options.emitSchemaFile ? { path: options.emitSchemaFile, sortedSchema: false } : false,
    skipCheck: !options.introspectionCheck,
  });
  // Types, fields, interfaces and arguments are well formed (throws naming what is not).
  assertValidSchema(schema);
  return guardTextArguments(schema);
}
