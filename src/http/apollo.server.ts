// Apollo Server for GraphQL over HTTP, and its plugins: errors logged with the request id, the
// request id echoed to the client, an outage answered as 503, and the WebSocket server drained
// with Apollo's own shutdown.
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { formatGraphQLError, logFailure, RETRY_AFTER_SECONDS } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Context } from './context.js';
import { landingPage } from './landing.page.js';
import { graphqlMetricsPlugin } from './metrics.route.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  introspection: boolean;
  /** No landing page and no "did you mean" suggestions in errors. */
  production: boolean;
  /** The server Apollo drains on stop. */
  http: Server;
  /** The WebSocket side, disposed of when Apollo stops. */
  websocket: { dispose(): Promise<void> };
  log: Logger;
  metrics: Metrics;
}

export function createApollo(options: ApolloOptions): ApolloServer<Context> {
  const { log } = options;
  return new ApolloServer<Context>({
    schema: options.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    // Every request carries its document, so the operation gate (operation.gate.ts) sees and
    // checks every operation; a cached hash would let a costly document run with new variables.
    persistedQueries: false,
    // Production: no "Did you mean …?" in validation errors, which would map the schema for
    // a stranger with introspection off.
    hideSchemaDetailsFromClientErrors: options.production,
    // main.ts owns SIGINT/SIGTERM (drain, close the database, exit 0); Apollo's own handlers
    // would re-raise the signal after stopping and kill the process mid-shutdown.
    stopOnTerminationSignals: false,
    // Masks unexpected errors; the plugin below logs them with the request id.
    formatError: formatGraphQLError,
    // Apollo's default logger writes to the console, outside ours.
    logger: log.child({ component: 'apollo' }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.http }),
      landingPage({ production: options.production }),
      graphqlMetricsPlugin<Context>(options.metrics),
      // No field has a cache hint and no answer is cacheable (each depends on the caller):
      // Apollo's default cache-control plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      {
        requestDidStart: ({ contextValue }) =>
          Promise.resolve({
            didEncounterErrors: ({ errors }) => {
              for (const error of errors) logFailure(contextValue.log, error, { path: error.path });
              return Promise.resolve();
            },
            willSendResponse: ({ response }) => {
              // Lets a client quote the id when reporting an INTERNAL_SERVER_ERROR.
              response.http.headers.set('x-request-id', contextValue.requestId);
              if (response.body.kind === 'single' && failedForAnOutage(response.body.singleResult)) {
                response.http.status = 503;
                response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
              }
              return Promise.resolve();
            },
          }),
      },
      {
        // The socket server is not an HTTP request: dispose of it with Apollo's own shutdown.
        serverWillStart: () =>
          Promise.resolve({
            drainServer: async () => {
              await options.websocket.dispose();
            },
          }),
      },
    ],
  });
}

/**
 * True when an outage failed the request as a whole (no field has data): the answer is then a
 * 503 with Retry-After, which proxies and clients understand without reading the body.
 */
function failedForAnOutage(result: { data?: Record<string, unknown> | null; errors?: readonly { extensions?: Record<string, unknown> }[] }): boolean {
  if (!result.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return false;
  return result.data == null || Object.values(result.data).every((value) => value === null);
}
