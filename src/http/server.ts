// HTTP + WebSocket assembly: one port serves GraphQL (POST/GET /graphql, Apollo), graphql-ws
// subscriptions on the same path, multipart uploads, export downloads, the REST API (/api, in
// src/rest/), and /healthz and /readyz.
// What each piece does lives in its own file in this folder; this one puts them in order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import type { GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-ts';
import { WebSocketServer } from 'ws';
import type { CorsSettings, OperationLimits, RateLimits, TrustProxy } from '../config.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { accessLog } from './access-log.js';
import { createApollo } from './apollo.server.js';
import { contextFromRequest, type Context } from './context.js';
import { corsMiddleware, websocketOriginAllowed } from './cors.js';
import { httpErrorHandler, unknownRoute } from './error.middleware.js';
import { exportDownload } from './export.route.js';
import { createRateLimiter } from './rate.limit.js';
import { securityHeaders } from './security.headers.js';
import { OperationGate, operationGateMiddleware, type TrustedDocuments } from './operation.gate.js';
import { liveness, readiness, type DrainState } from './health.route.js';
import { httpMetrics, metricsEndpoint } from './metrics.route.js';
import { jsonBody } from './json-body.middleware.js';
import { restApi } from '../rest/rest.router.js';
import { sharedSubscriptions } from './subscription.executor.js';
import { rejectOversizedUploads, UPLOAD_MAX_FIELD_BYTES, uploadErrors } from './upload.middleware.js';
import { websocketAuth } from './websocket.auth.js';
import { websocketErrorFormatting } from './websocket.error-format.js';
import { serveGraphQLOverWebSocket } from './websocket.server.js';

/** Largest JSON request body (a GraphQL request; uploads go as multipart). */
const JSON_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** The REST API document's `info.version`. */
const API_VERSION = '1.0.0';
/** Where the REST routes live; Express matches paths without regard to case. */
const REST_PATH = /^\/api(?:\/|$)/i;
/** Largest graphql-ws message. */
const WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface ServerOptions {
  schema: GraphQLSchema;
  services: Services;
  log: Logger;
  introspection: boolean;
  uploadMaxBytes: number;
  cors: CorsSettings;
  operationLimits: OperationLimits;
  /** TRUSTED_DOCUMENTS, loaded: only these operations run. */
  trustedDocuments?: TrustedDocuments | undefined;
  /** NODE_ENV=production: no landing page, no "did you mean" in errors. */
  production: boolean;
  rateLimits: RateLimits;
  /** Shares rate limit counters between instances. */
  redisUrl: string | undefined;
  /** Express's `trust proxy`: which X-Forwarded-* headers to believe (req.ip, req.protocol). */
  trustProxy: TrustProxy;
  /** METRICS_TOKEN: GET /metrics is served only with it (as a bearer token), 404 without. */
  metricsToken?: string | undefined;
}

export interface RunningServer {
  http: Server;
  url: string;
  /**
   * Shutdown has begun: /readyz answers 503 and responses ask keep-alive clients to reconnect
   * (elsewhere), while everything is still served.
   */
  beginDrain(): void;
  /** Stops accepting, drains in-flight requests, closes sockets. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions, port: number, host: string): Promise<RunningServer> {
  const { schema, services, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  const rateLimiter = createRateLimiter(options.rateLimits, options.redisUrl, services, log.child({ component: 'rate-limit' }));
  const drain: DrainState = { draining: false };
  app.use(accessLog(log), httpMetrics(services.metrics));
  app.use((_req, res, next) => {
    if (drain.draining) res.set('connection', 'close');
    next();
  });
  // A GraphQL answer depends on who asks and when: an ETag (a SHA-1 over every body) buys nothing.
  app.set('etag', false);
  const http = createServer(app);
  // A request stream emits 'error' (client gone mid-body, say) only when someone listens, and
  // then kills the process if nobody does: every request gets a listener that logs it.
  http.on('request', (req: Request) => {
    req.on('error', (error) => log.debug({ reason: error.message }, 'request stream error'));
  });

  const gate = new OperationGate(schema, options.operationLimits, options.trustedDocuments);
  const wss = new WebSocketServer({
    server: http,
    path: '/graphql',
    maxPayload: WEBSOCKET_MAX_MESSAGE_BYTES,
    // Before the upgrade: a page from an origin not allowed never gets a socket (403).
    verifyClient: ({ req }, done) => {
      if (websocketOriginAllowed(options.cors, req)) return done(true);
      log.info({ origin: req.headers.origin?.slice(0, 200) }, 'websocket refused: origin not allowed');
      done(false, 403, 'Origin not allowed');
    },
  });
  wss.on('connection', (socket) => {
    services.metrics.subscribers.inc();
    socket.once('close', () => services.metrics.subscribers.dec());
  });
  const wsAuth = websocketAuth(services, log);
  const wsFormatting = websocketErrorFormatting(schema, log, gate);
  const wsServer = serveGraphQLOverWebSocket<Record<string, unknown>, { context?: Context }>(
    {
      schema,
      onConnect: wsAuth.onConnect,
      onClose: wsAuth.onClose,
      ...wsFormatting,
      onSubscribe: wsAuth.guardSubscribe(wsFormatting.onSubscribe!),
      onNext: (...args) => {
        services.metrics.eventsDelivered.inc();
        return wsFormatting.onNext?.(...args);
      },
      context: (ctx) => ctx.extra.context!,
      // One execution per event per distinct live-only operation, not one per subscriber.
      subscribe: sharedSubscriptions().subscribe,
    },
    wss,
    log.child({ component: 'websocket' }),
  );

  const apollo = createApollo({ schema, introspection: options.introspection, production: options.production, http, websocket: wsServer, log, metrics: services.metrics });
  await apollo.start();

  // Every answer, errors and 404s included.
  app.use(securityHeaders({ production: options.production }));
  // Before every route it covers, so a preflight is answered here and never reaches Apollo's CSRF check.
  app.use(['/graphql', '/exports'], corsMiddleware(options.cors));

  app.get('/healthz', liveness);
  app.get('/readyz', readiness(services.db, log, drain));
  if (options.metricsToken) app.get('/metrics', metricsEndpoint(services.metrics, options.metricsToken));

  // Export links: the signed token in the path is the credential (no bearer token).
  app.get('/exports/:token', rateLimiter.exports, exportDownload(services.exports, services.subjectAccess, log.child({ component: 'export' }), services.metrics));

  // The REST API (/api): the same services and rules as GraphQL, with its own error shape. Its
  // routes all live under /api: other requests (every GraphQL one) skip its few dozen layers
  // instead of being matched against each.
  const rest = restApi(services, log, {
    cors: options.cors,
    uploadMaxBytes: options.uploadMaxBytes,
    metrics: services.metrics,
    rateLimit: rateLimiter.rest,
    version: API_VERSION,
  }).router;
  app.use((req, res, next) => (REST_PATH.test(req.path) ? rest(req, res, next) : next()));

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
    operationGateMiddleware(gate, options.trustedDocuments),
    rateLimiter.graphql,
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
    beginDrain: () => {
      drain.draining = true;
    },
    stop: async () => {
      await apollo.stop();
      await rateLimiter.close();
    },
  };
}
