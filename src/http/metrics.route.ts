// Prometheus on the HTTP side: GET /metrics (only with METRICS_TOKEN as a bearer token), the
// request counter and duration histogram every route feeds, and the Apollo plugin that counts
// GraphQL operations by name, type and outcome.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler } from 'express';
import { UnauthenticatedError } from '../errors.js';
import type { Metrics } from '../metrics.js';

/** The route label: a fixed list, so a scanner probing random paths adds no series. */
export function routeLabel(req: Request): string {
  // originalUrl: inside app.use('/graphql', …) Express strips the mount point from req.path.
  const path = (req.originalUrl || req.url).split('?')[0]!;
  if (path === '/graphql' || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  // The token in an export link is a credential and unbounded: never a label.
  if (path.startsWith('/exports/')) return '/exports/:token';
  // REST: the declared route (`/api/users/:id`), never the id; paths no route serves stay unmatched.
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (path.startsWith('/api/') && typeof route === 'string') return route;
  return 'unmatched';
}

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** GET /metrics: the registry in Prometheus text format, for a caller with the token. */
export function metricsEndpoint(metrics: Metrics, token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return async (req, res, next) => {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    // Compared as digests: constant time, whatever the length of what was sent.
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      res.set('www-authenticate', 'Bearer');
      next(new UnauthenticatedError('GET /metrics needs METRICS_TOKEN as a bearer token'));
      return;
    }
    res.set('content-type', metrics.contentType).set('cache-control', 'no-store').send(await metrics.text());
  };
}

/** Counts every GraphQL operation over HTTP; outcome is OK or the first error's code. */
export function graphqlMetricsPlugin<T extends object>(metrics: Metrics): ApolloServerPlugin<T> {
  return {
    requestDidStart: () => {
      const started = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse: ({ request, operation, operationName, response }) => {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          const labels = {
            operation: metrics.operationLabel(operationName ?? request.operationName),
            type: operation?.operation ?? 'unknown',
            outcome: errors?.length ? (typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR') : 'OK',
          };
          metrics.graphqlOperations.inc(labels);
          metrics.graphqlDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
          return Promise.resolve();
        },
      });
    },
  };
}
