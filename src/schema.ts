// Builds the executable schema from the TypeGraphQL classes. Every resolver class is listed
// here; tests/auth-decisions.test.ts checks each root field's authorization decision, and every
// field that takes text is wrapped by the argument guard (argument-guard.ts).
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema, type PubSub } from 'type-graphql';
import { guardTextArguments } from './argument-guard.js';
import { authChecker } from './auth/auth-checker.js';
import { AuthResolver } from './auth/auth.resolver.js';
import { UserConnectionResolver, UserResolver } from './users/user.resolver.js';
import { StatsResolver } from './users/stats/stats.resolver.js';
import { EventResolver } from './events/event.resolver.js';
import { EVENT_OBJECT_TYPES } from './events/event.types.js';
import { LifecycleResolver } from './users/lifecycle/lifecycle.resolver.js';
import { ImportResolver } from './users/import/import.resolver.js';
import { ExportResolver } from './users/export/export.resolver.js';

export const resolvers = [AuthResolver, UserResolver, UserConnectionResolver, StatsResolver, LifecycleResolver, EventResolver, ImportResolver, ExportResolver] as const;

export async function createSchema(options: { pubSub?: PubSub; emitSchemaFile?: string | false } = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    // Input rules live in the services (zod), shared with the CSV importer and library callers.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // Subscriptions need a pubsub at build time; the server passes the app's (services.pubSub).
    pubSub: options.pubSub ?? createPubSub(),
    // Event kinds no root field returns by name still belong to the UserEvent interface.
    orphanedTypes: EVENT_OBJECT_TYPES,
    emitSchemaFile: options.emitSchemaFile ? { path: options.emitSchemaFile, sortedSchema: false } : false,
  });
  return guardTextArguments(schema);
}
