// One REST operation = one declaration: method, path, the permission it needs, the zod schemas
// of its parameters, body and responses. The route validates requests with these schemas and
// openapi.document.ts describes the operation from the same declaration, so adding an endpoint
// (say /api/webhooks) is one file of declarations and handlers, registered in rest.router.ts.
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Permission } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { UnauthenticatedError, type FieldProblem } from '../errors.js';
import { contextFromRequest, type Context } from '../http/context.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { RequestFieldError, type FieldRenamer } from './rest.error.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface RestResponseSpec {
  description: string;
  /** JSON body schema; absent for bodies without one (204, 304) or non-JSON files. */
  schema?: z.ZodType;
  /** Other media types (exports: text/csv, application/x-ndjson). */
  files?: string[];
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

export interface RestOperation {
  method: HttpMethod;
  /** Express path (`/api/users/:id`); the document writes `{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** The permission the service asserts (documented; the service is what enforces it). null: anonymous. */
  permission: Permission | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body (or, with `multipart`, the form's fields). */
  body?: z.ZodType;
  multipart?: boolean;
  requestHeaders?: Record<string, { description: string; schema: z.ZodType; required?: boolean }>;
  responses: Record<number, RestResponseSpec>;
  /** Statuses of errors this operation answers besides 400/401/403/429/500/503 (all have them). */
  errors: number[];
  /** Rate limit points (see http/rate.limit.ts): 1, or HEAVY_POINTS for bulk, import, export; may depend on the query. */
  points?: number | ((query: Record<string, unknown>) => number);
  /** How a service's field names read in this operation's errors (default: drop `input.`). */
  renameField?: FieldRenamer;
}

/** What a handler gets: the decoded request and the caller (undefined for an anonymous operation). */
export interface RestCall<P, Q, B, A = Principal> {
  params: P;
  query: Q;
  body: B;
  principal: A;
  ctx: Context;
  req: Request;
  res: Response;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type CallOf<O extends RestOperation> = RestCall<Out<O['params']>, Out<O['query']>, Out<O['body']>, O['permission'] extends null ? undefined : Principal>;

/** Every operation of the API, in the order they were declared (the document's order). */
export class RestRegistry {
  readonly operations: RestOperation[] = [];
}

/** What route files register operations with (rest.router.ts makes it). */
export interface RestKit {
  router: Router;
  api: RestRegistry;
  services: Services;
  log: Logger;
  /** The rate limiter's REST handler for an operation of that many points. */
  rateLimit: (points: number) => RequestHandler;
}

/** Declares an operation (for the document) and serves it: rate limit, then `handle`. */
export function route<const O extends RestOperation>(kit: RestKit, operation: O, run: (call: CallOf<O>) => Promise<void>): void {
  kit.api.operations.push(operation);
  const { points = 1 } = operation;
  const limit: RequestHandler = typeof points === 'number' ? kit.rateLimit(points) : (req, res, next) => kit.rateLimit(points(req.query))(req, res, next);
  kit.router[operation.method](operation.path, limit, handle(operation, kit.services, kit.log, run));
}

/**
 * The Express handler of an operation: decode and validate params, query and body with its
 * schemas (400 naming each bad parameter), resolve the caller from the bearer token exactly as
 * GraphQL does (contextFromRequest: verified once, checked against the account), then run it.
 */
export function handle<O extends RestOperation>(
  operation: O,
  services: Services,
  log: Logger,
  run: (call: CallOf<O>) => Promise<void>,
): RequestHandler {
  return async (req, res, next) => {
    try {
      if (operation.renameField) res.locals.renameField = operation.renameField;
      const problems: FieldProblem[] = [];
      const params = decode(operation.params, req.params, problems);
      const query = decode(operation.query, req.query, problems, true);
      const body = operation.multipart ? undefined : decode(operation.body, req.body ?? {}, problems);
      // Who asks comes first: an anonymous caller learns nothing about what it sent.
      const ctx = await contextFromRequest(req, services, log);
      if (operation.permission !== null) {
        if (ctx.authError) throw ctx.authError;
        if (!ctx.principal) {
          res.set('www-authenticate', 'Bearer');
          throw new UnauthenticatedError();
        }
      }
      if (problems.length) throw new RequestFieldError(problems);
      await run({ params, query, body, principal: ctx.principal, ctx, req, res } as CallOf<O>);
    } catch (error) {
      next(error);
    }
  };
}

/** `byName`: a problem is named by its parameter alone (`role`, not `role.0` for a bad item). */
function decode(schema: z.ZodType | undefined, value: unknown, problems: FieldProblem[], byName = false): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length) for (const key of unknownKeys) problems.push({ field: [...issue.path, key].join('.'), message: 'is not a known parameter' });
    else problems.push({ field: (byName ? issue.path.slice(0, 1) : issue.path).join('.') || '(body)', message: issue.message });
  }
  return undefined;
}
