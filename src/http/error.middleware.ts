// The last word on every HTTP request that failed before or outside GraphQL: a body Express
// could not read, an unknown route, an export download whose database went away. Without these
// handlers Express answers with its HTML error page (a stack trace and absolute paths outside
// production) and prints the error, raw request body included, to stderr. Here every such
// answer has the shape GraphQL errors have, a stable code and the right status; the failure is
// logged through errors.ts at the level it deserves.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  BadRequestError,
  errorResponseBody,
  INTERNAL_ERROR_BODY,
  isDomainError,
  logFailure,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  type DomainError,
} from '../errors.js';
import type { Logger } from '../logger.js';

class RouteNotFoundError extends NotFoundError {
  constructor() {
    super('No such endpoint: the API is POST or GET /graphql');
  }
}

/** Any route nobody serves. */
export const unknownRoute: RequestHandler = (_req, _res, next) => {
  next(new RouteNotFoundError());
};

export function httpErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const client = bodyErrorOf(error) ?? error;
    // The first path segment only: an export link's path is a credential.
    const known = logFailure(log, client, {
      method: req.method,
      route: `/${(req.originalUrl.split(/[/?]/)[1] ?? '').slice(0, 40)}`,
    });
    if (res.headersSent) {
      // Half an answer is out: cutting the connection is the only honest signal left.
      res.destroy();
      return;
    }
    // The request body may still be arriving (it was refused unread): drain it, so the client
    // reads the answer instead of a connection reset.
    if (!req.complete) req.resume();
    if (!known) {
      res.status(500).json(INTERNAL_ERROR_BODY);
      return;
    }
    if (known instanceof ServiceUnavailableError) res.set('retry-after', String(known.retryAfter));
    res.status(known.status).json(errorResponseBody(known));
  };
}

/**
 * body-parser's errors as client errors. Their messages are not used: a JSON syntax error quotes
 * the body it failed on, and that may hold a password.
 */
export function bodyErrorOf(error: unknown): DomainError | undefined {
  if (typeof error !== 'object' || error === null || isDomainError(error)) return undefined;
  const { type, limit, code } = error as { type?: unknown; limit?: unknown; code?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      return new BadRequestError('The request body is not valid JSON (a JSON object, UTF-8 encoded)');
    case 'entity.too.large':
      return new PayloadTooLargeError(Number(limit));
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('Unsupported charset: send UTF-8');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('Unsupported Content-Encoding: use gzip, deflate, br or none');
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestError('The request body ended before its declared length');
  }
  // zlib, when the body says gzip or deflate and is not.
  if (typeof code === 'string' && code.startsWith('Z_')) return new BadRequestError('The request body could not be decompressed');
  return undefined;
}
