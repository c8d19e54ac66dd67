// HTTP + WebSocket assembly: one port serves GraphQL (POST/GET /graphql, Apollo), graphql-ws
// subscriptions on the same path, multipart uploads, export downloads, and /healthz and /readyz.
// What each piece does lives in its own file in this folder; this one puts them in order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import type { GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-ts';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { createApollo } from './apollo.server.js';
import { contextFromRequest, type Context } from './context.js';
import { httpErrorHandler, unknownRoute } from './error.middleware.js';
import { exportDownload } from './export.route.js';
import { liveness, readiness } from './health.route.js';
import { jsonBody } from './json-body.middleware.js';
import { sharedSubscriptions } from './subscription.executor.js';
import { rejectOversizedUploads, UPLOAD_MAX_FIELD_BYTES, uploadErrors } from './upload.middleware.js';
import { websocketAuth } from './websocket.auth.js';
import { websocketErrorFormatting } from './websocket.error-format.js';
import { serveGraphQLOverWebSocket } from './websocket.server.js';

/** Largest JSON request body (a GraphQL request; uploads go as multipart). */
const JSON_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Largest graphql-ws message. */
const WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;

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
  // A GraphQL answer depends on who asks and when: an ETag (a SHA-1 over every body) buys nothing.
  app.set('etag', false);
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

  const apollo = createApollo({ schema, introspection: options.introspection, http, websocket: wsServer, log });
  await apollo.start();

  app.get('/healthz', liveness);
  app.get('/readyz', readiness(services.db, log));

  // Export links: the signed token in the path is the credential (no bearer token).
  app.get('/exports/:token', exportDownload(services.exports, log.child({ component: 'export' })));

  // The upload machinery only for multipart requests (the imports), not on every query.
  const uploads = express.Router();
  uploads.use(
    rejectOversizedUploads(options.uploadMaxBytes),
    graphqlUploadExpress({ maxFileSize: options.uploadMaxBytes, maxFiles: 1, maxFieldSize: UPLOAD_MAX_FIELD_BYTES }),
    uploadErrors({ maxBytes: options.uploadMaxBytes, maxFieldBytes: UPLOAD_MAX_FIELD_BYTES }),
  );
  app.use(
    '/graphql',
    (req, res, next) => (req.is('multipart/form-data') ? uploads(req, res, next) : next()),
    jsonBody(JSON_BODY_LIMIT_BYTES),
    expressMiddleware(apollo, {
      context: ({ req }) => contextFromRequest(req, services, log),
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
