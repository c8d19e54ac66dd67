// Errors on the REST API (/api): the same DomainErrors, codes and statuses as GraphQL (errors.ts
// classifies every failure once, clientErrorOf), in the body REST clients expect:
// `{ code, message, details, meta? }`. `details` names each bad field by its REST name (`email`,
// not GraphQL's `input.email`), `meta` carries the error's other client-safe facts (retryAfter,
// actualVersion, field, limitBytes). Outages are 503 with Retry-After; bugs are masked as 500.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { clientErrorOf, DomainError, logFailure, NotFoundError, ServiceUnavailableError, TooManyRequestsError, type FieldProblem } from '../errors.js';
import { bodyErrorOf } from '../http/error.middleware.js';
import type { Logger } from '../logger.js';

export interface RestErrorBody {
  code: string;
  message: string;
  details: { path: string; message: string }[];
  meta?: Record<string, unknown>;
}

/** How a route names the fields the services name (`input.email` -> `email`). */
export type FieldRenamer = (field: string) => string;

/** The default: a request body is GraphQL's `input`, so its prefix goes. */
export const bodyFields: FieldRenamer = (field) => field.replace(/^input\./, '');

/** 412: an `If-Match` version that is no longer current. The code is the service's (USER_MANAGEMENT_VERSION_CONFLICT). */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  constructor(
    readonly code: string,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(message);
    Object.assign(this.details, details);
  }
}

/** A field of the request named by its REST name, with everything the services said about it. */
export class RequestFieldError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  readonly status = 400;
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; ') || 'Invalid input');
    this.details.fields = problems;
  }
}

class ApiRouteNotFoundError extends NotFoundError {
  constructor(method: string, path: string) {
    super(`No such endpoint: ${method} ${path.slice(0, 200)} (the API is described at /api/openapi.json)`);
  }
}

/** Any path under /api that no route serves: a JSON 404, never Express's HTML page. */
export const unknownApiRoute: RequestHandler = (req, _res, next) => {
  next(new ApiRouteNotFoundError(req.method, req.originalUrl.split('?')[0]!));
};

export function restErrorBody(error: DomainError, rename: FieldRenamer = bodyFields): RestErrorBody {
  const { fields, ...meta } = error.details as { fields?: FieldProblem[] } & Record<string, unknown>;
  return {
    code: error.code,
    message: error.message,
    details: (fields ?? []).map((f) => ({ path: rename(f.field), message: f.message })),
    ...(Object.keys(meta).length ? { meta } : {}),
  };
}

export const INTERNAL_REST_ERROR: RestErrorBody = { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', details: [] };

/** The /api error handler: every failure under /api answers here, in the REST shape. */
export function restErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const client = logFailure(log, (clientErrorOf(error) ? undefined : bodyErrorOf(error)) ?? error, { method: req.method, route: req.baseUrl || '/api' });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) req.resume();
    res.set('cache-control', 'no-store');
    if (!client) {
      res.status(500).json(INTERNAL_REST_ERROR);
      return;
    }
    if (client instanceof ServiceUnavailableError || client instanceof TooManyRequestsError) res.set('retry-after', String(client.retryAfter));
    const rename = (res.locals.renameField as FieldRenamer | undefined) ?? bodyFields;
    res.status(client.status).json(restErrorBody(client, rename));
  };
}
