// The REST API under /api, assembled: CORS, the JSON body, the operations (each rate limited by
// its points), the document and its reference page, then a JSON 404 for any other /api path and
// the REST error handler. Order matters: /api/users/stats, /export, /import and /bulk/* are
// registered before /api/users/:id.
import express, { type RequestHandler, type Router } from 'express';
import type { CorsSettings } from '../config.js';
import { corsMiddleware } from '../http/cors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../services.js';
import { authRoutes } from './auth.route.js';
import { docsRoutes } from './docs.route.js';
import { restErrorHandler, unknownApiRoute } from './rest.error.js';
import { RestRegistry, type RestKit } from './rest.operation.js';
import { userBatchRoutes } from './user-batch.route.js';
import { userRoutes } from './user.route.js';
import { webhookRoutes } from './webhook.route.js';

/** Largest JSON body of a REST request (a bulk call's 1,000 ids fit many times over). */
const REST_JSON_LIMIT = '1mb';

export interface RestOptions {
  cors: CorsSettings;
  uploadMaxBytes: number;
  metrics: Metrics;
  rateLimit: (points: number) => RequestHandler;
  version: string;
}

export function restApi(services: Services, log: Logger, options: RestOptions): { router: Router; api: RestRegistry } {
  const router = express.Router();
  const api = new RestRegistry();
  const kit: RestKit = { router, api, services, log: log.child({ component: 'rest' }), rateLimit: options.rateLimit };
  router.use('/api', corsMiddleware(options.cors, { methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'] }));
  router.use('/api', express.json({ limit: REST_JSON_LIMIT, type: ['application/json', 'application/*+json'] }));
  authRoutes(kit);
  userBatchRoutes(kit, { uploadMaxBytes: options.uploadMaxBytes, metrics: options.metrics });
  userRoutes(kit);
  webhookRoutes(kit);
  docsRoutes(router, api, { title: 'users service REST API', version: options.version });
  router.use('/api', unknownApiRoute, restErrorHandler(kit.log));
  return { router, api };
}
