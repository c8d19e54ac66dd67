// One JSON line per HTTP request (pino-http): method, route path, status, time, request id.
// What could carry a secret never reaches it: no headers (Authorization, cookies), no query string
// (a GET /graphql carries its variables there), and an export link's token is cut from the path.
// Probes (/healthz, /readyz, /metrics) are not logged: a load balancer polls them every second.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { trace } from '@opentelemetry/api';
import { pinoHttp } from 'pino-http';

const traceOf = new WeakMap<IncomingMessage, string>();
import type { Logger } from '../logger.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
/** Longest client-chosen request id kept (a longer or odd one is replaced by ours). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The path without the query string, and without an export link's credential. */
export function loggablePath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!;
  return path.startsWith('/exports/') ? '/exports/[redacted]' : path.slice(0, 200);
}

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export function accessLog(log: Logger): RequestHandler {
  // Below info (LOG_LEVEL=warn and up) no access line is ever written: pino-http's per-request
  // child logger and listeners would cost ~3% of a small query's CPU for nothing. The request
  // keeps its id either way.
  if (!log.isLevelEnabled('info')) {
    return (req, res, next) => {
      const id = requestIdOf(req);
      (req as { id?: string }).id = id;
      res.setHeader('x-request-id', id);
      next();
    };
  }
  return pinoHttp({
    logger: log.child({ component: 'access' }),
    genReqId: (req, res) => {
      const id = requestIdOf(req);
      // The access line is written when the response ends, outside the request's trace context:
      // keep its trace id from here, where the HTTP server span is active.
      const span = trace.getActiveSpan()?.spanContext();
      if (span) traceOf.set(req, span.traceId);
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: { ignore: (req) => PROBES.has(loggablePath(req.url)) },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: loggablePath(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req) => {
      const traceId = traceOf.get(req);
      return traceId ? { trace_id: traceId } : {};
    },
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    // Failures are logged with their cause by errors.ts; the access line stays one level.
    customLogLevel: () => 'info',
  });
}
