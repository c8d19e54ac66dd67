// Builds the executable schema from the TypeGraphQL classes. Every resolver class is listed
// here; tests/auth-decisions.test.ts checks each root field's authorization decision.
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type PubSub } from 'type-graphql';
import { authChecker } from './auth/auth-checker.js';
import { AuthResolver } from './auth/auth.resolver.js';
import { UserConnectionResolver, UserResolver } from './users/user.resolver.js';
import { StatsResolver } from './users/stats/stats.resolver.js';

export const resolvers = [AuthResolver, UserResolver, UserConnectionResolver, StatsResolver] as const;

export async function createSchema(options: { pubSub?: PubSub; emitSchemaFile?: string | false } = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    // Input rules live in the services (zod), shared with the CSV importer and library callers.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    ...(options.pubSub ? { pubSub: options.pubSub } : {}),
    emitSchemaFile: options.emitSchemaFile ? { path: options.emitSchemaFile, sortedSchema: false } : false,
  });
}
