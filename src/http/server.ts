// HTTP + WebSocket assembly: one port serves GraphQL (POST/GET /graphql), graphql-ws
// subscriptions on the same path, multipart uploads, and /healthz and /readyz.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import type { GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-ts';
import { WebSocketServer } from 'ws';
import { buildContext, type Context } from './context.js';
import { formatGraphQLError, logFailure, RETRY_AFTER_SECONDS } from '../errors.js';
import { httpErrorHandler, unknownRoute } from './error.middleware.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { websocketAuth } from './websocket.auth.js';
import { websocketErrorFormatting } from './websocket.error-format.js';
import { serveGraphQLOverWebSocket } from './websocket.server.js';
import { sharedSubscriptions } from './subscription.executor.js';
import { exportDownload } from './export.route.js';
import { rejectOversizedUploads, UPLOAD_MAX_FIELD_BYTES, uploadErrors } from './upload.middleware.js';

/** Largest JSON request body (a GraphQL request; uploads go as multipart). */
const JSON_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Largest graphql-ws message. */
const WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;
/** /readyz answers 503 when the database does not answer within this. */
const READINESS_TIMEOUT_MS = 3_000;

export interface ServerOptions {
  schema: GraphQLSchema;
  services: Services;
  log: Logger;
  introspection: boolean;
  uploadMaxBytes: number;
}

export interface RunningServer {
  http: Server;
  url: string;
  /** Stops accepting, drains in-flight requests, closes sockets. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions, port: number, host: string): Promise<RunningServer> {
  const { schema, services, log } = options;
  const app = express();
  app.disable('x-powered-by');
  const http = createServer(app);
  // A request stream emits 'error' (client gone mid-body, say) only when someone listens, and
  // then kills the process if nobody does: every request gets a listener that logs it.
  http.on('request', (req: Request) => {
    req.on('error', (error) => log.debug({ reason: error.message }, 'request stream error'));
  });

  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: WEBSOCKET_MAX_MESSAGE_BYTES });
  const wsServer = serveGraphQLOverWebSocket<Record<string, unknown>, { context?: Context }>(
    {
      schema,
      ...websocketAuth(services, log),
      ...websocketErrorFormatting(schema, log),
      context: (ctx) => ctx.extra.context!,
      // One execution per event per distinct live-only operation, not one per subscriber.
      subscribe: sharedSubscriptions().subscribe,
    },
    wss,
    log.child({ component: 'websocket' }),
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: options.introspection,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM (drain, close the database, exit 0); Apollo's own handlers
    // would re-raise the signal after stopping and kill the process mid-shutdown.
    stopOnTerminationSignals: false,
    // Masks unexpected errors; the plugin below logs them with the request id.
    formatError: formatGraphQLError,
    // Apollo's default logger writes to the console, outside ours.
    logger: log.child({ component: 'apollo' }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
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
              await wsServer.dispose();
            },
          }),
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(services.db.ping(), READINESS_TIMEOUT_MS);
      res.json({ status: 'ready', database: services.db.kind });
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      res.status(503).set('retry-after', String(RETRY_AFTER_SECONDS)).json({ status: 'unavailable', database: services.db.kind });
    }
  });

  // Export links: the signed token in the path is the credential (no bearer token).
  app.get('/exports/:token', exportDownload(services.exports, log.child({ component: 'export' })));

  app.use(
    '/graphql',
    rejectOversizedUploads(options.uploadMaxBytes),
    graphqlUploadExpress({ maxFileSize: options.uploadMaxBytes, maxFiles: 1, maxFieldSize: UPLOAD_MAX_FIELD_BYTES }),
    uploadErrors({ maxBytes: options.uploadMaxBytes, maxFieldBytes: UPLOAD_MAX_FIELD_BYTES }),
    express.json({ limit: JSON_BODY_LIMIT_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req }) => httpContext(req, services, log),
    }),
  );
  // Last: unknown routes, then every error above as a JSON error (never Express's HTML page).
  app.use(unknownRoute);
  app.use(httpErrorHandler(log.child({ component: 'http' })));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}/graphql`;

  return {
    http,
    url,
    stop: async () => {
      await apollo.stop();
    },
  };
}

async function httpContext(req: Request, services: Services, log: Logger): Promise<Context> {
  const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
  try {
    const principal = await services.tokens.fromAuthorizationHeader(req.headers.authorization);
    return buildContext(services, log, requestId, { principal, requestBytes: declaredLength(req) });
  } catch (error) {
    // Not thrown here: `login` must still work with a stale token in the client's headers.
    return buildContext(services, log, requestId, { authError: error as Error, requestBytes: declaredLength(req) });
  }
}

/**
 * True when an outage failed the request as a whole (no field has data): the answer is then a
 * 503 with Retry-After, which proxies and clients understand without reading the body.
 */
function failedForAnOutage(result: { data?: Record<string, unknown> | null; errors?: readonly { extensions?: Record<string, unknown> }[] }): boolean {
  if (!result.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return false;
  return result.data == null || Object.values(result.data).every((value) => value === null);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function declaredLength(req: Request): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && /^[\w.:-]{1,128}$/.test(v) ? v : undefined;
}
