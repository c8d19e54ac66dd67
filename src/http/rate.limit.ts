// Rate limits on /graphql, /exports and the REST API (/api), per signed-in principal and per client address
// (rate-limiter-flexible). With REDIS_URL the counters live in Redis, so every instance behind a
// load balancer counts against the same budget; without it, in this process. A refusal is
// HTTP 429 with Retry-After and code TOO_MANY_REQUESTS.
//
// Points, not requests: an operation that runs a bulk action, an import or an export costs
// HEAVY_POINTS, one that selects totalCount (a COUNT over the filtered table) COUNT_POINTS, and
// any other 1. An export download costs HEAVY_POINTS from the address's budget (the link is its
// own credential: there is no principal).
import type { Request, RequestHandler } from 'express';
import { Kind, visit, type DocumentNode } from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimits } from '../config.js';
import { errorResponseBody, logFailure, TooManyRequestsError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { CheckedOperation } from './operation.gate.js';
import { requestToken } from './request.token.js';

export const HEAVY_POINTS = 10;
export const COUNT_POINTS = 5;

/** Root fields that touch many rows at once. */
const HEAVY_ROOT_FIELD = /^(bulk[A-Z]\w*|importUsers|exportUsers)$/;

/** Points by document and operation name: the gate hands over the same document for the same text. */
const pointsOf = new WeakMap<DocumentNode, Map<string | undefined, number>>();

/** The points an operation costs. */
export function operationPoints(document: DocumentNode, operationName: string | undefined): number {
  let known = pointsOf.get(document);
  if (!known) {
    known = new Map<string | undefined, number>();
    pointsOf.set(document, known);
  }
  let points = known.get(operationName);
  if (points === undefined) {
    points = countPoints(document, operationName);
    // Bounded: a client can only vary the operation name among the document's operations, plus misses.
    if (known.size < 16) known.set(operationName, points);
  }
  return points;
}

function countPoints(document: DocumentNode, operationName: string | undefined): number {
  let points = 1;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName !== undefined && definition.name?.value !== operationName) continue;
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind === Kind.FIELD && HEAVY_ROOT_FIELD.test(selection.name.value)) points = Math.max(points, HEAVY_POINTS);
    }
  }
  // Fragments included: a totalCount anywhere in the document counts.
  visit(document, {
    Field(node) {
      if (node.name.value === 'totalCount') points = Math.max(points, COUNT_POINTS);
    },
  });
  return points;
}

export interface RateLimiter {
  /** For /graphql, after the operation gate (it reads res.locals.operation). */
  graphql: RequestHandler;
  /** For export downloads. */
  exports: RequestHandler;
  /** For a REST operation (/api) costing `points`: the same budgets as /graphql. */
  rest: (points: number) => RequestHandler;
  close(): Promise<void>;
}

export function createRateLimiter(limits: RateLimits, redisUrl: string | undefined, services: Services, log: Logger): RateLimiter {
  // No offline queue: while Redis is away a call fails at once and the in-process insurance
  // limiter answers, rather than every request waiting for a reconnect.
  const redis = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false }) : undefined;
  redis?.on('error', (error) => log.debug({ reason: error.message }, 'rate limit store unavailable; counting in process'));
  const limiter = (keyPrefix: string, points: number): RateLimiterAbstract | undefined => {
    if (points <= 0) return undefined;
    const options = { keyPrefix, points, duration: limits.windowSeconds };
    if (!redis) return new RateLimiterMemory(options);
    return new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
  };
  const byPrincipal = limiter('users-service:rl:principal', limits.principalPoints);
  const byAddress = limiter('users-service:rl:ip', limits.ipPoints);

  /** False when refused: then the 429 is answered (as GraphQL's error body, or by `refuse`). */
  const consume = async (
    res: Parameters<RequestHandler>[1],
    address: string | undefined,
    principal: string | undefined,
    points: number,
    refuse?: (error: TooManyRequestsError) => void,
  ): Promise<boolean> => {
    const checks: [RateLimiterAbstract, string][] = [];
    if (byAddress && address) checks.push([byAddress, address]);
    if (byPrincipal && principal) checks.push([byPrincipal, principal]);
    let tightest: { result: RateLimiterRes; limit: number } | undefined;
    for (const [counter, key] of checks) {
      try {
        const result = await counter.consume(key, points);
        if (!tightest || result.remainingPoints < tightest.result.remainingPoints) tightest = { result, limit: counter.points };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const error = new TooManyRequestsError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        if (!refuse) logFailure(log, error, { route: res.req.baseUrl || res.req.path });
        res.set({ 'retry-after': String(error.retryAfter), 'ratelimit-limit': String(counter.points), 'ratelimit-remaining': '0', 'ratelimit-reset': String(error.retryAfter) });
        if (refuse) refuse(error);
        else res.status(error.status).json(errorResponseBody(error));
        return false;
      }
    }
    if (tightest) {
      res.set({
        'ratelimit-limit': String(tightest.limit),
        'ratelimit-remaining': String(tightest.result.remainingPoints),
        'ratelimit-reset': String(Math.ceil(tightest.result.msBeforeNext / 1000)),
      });
    }
    return true;
  };

  const principalOf = async (req: Request): Promise<string | undefined> => {
    try {
      return (await requestToken(req, services.tokens))?.userId;
    } catch {
      // A bad token is answered by GraphQL (UNAUTHENTICATED); the address budget still counts.
      return undefined;
    }
  };

  return {
    graphql: (req, res, next) => {
      if (!byAddress && !byPrincipal) return next();
      const operation = res.locals.operation as CheckedOperation | undefined;
      const points = operation ? operationPoints(operation.document, operation.operationName) : 1;
      void (async () => {
        const principal = byPrincipal ? await principalOf(req) : undefined;
        if (await consume(res, req.ip, principal, points)) next();
      })().catch(next);
    },
    exports: (req, res, next) => {
      consume(res, req.ip, undefined, HEAVY_POINTS).then((ok) => {
        if (ok) next();
      }, next);
    },
    rest: (points) => (req, res, next) => {
      void (async () => {
        const principal = byPrincipal ? await principalOf(req) : undefined;
        // The REST API answers errors in its own shape (rest/rest.error.ts): passed on to it.
        if (await consume(res, req.ip, principal, points, next)) next();
      })().catch(next);
    },
    close: async () => {
      await redis?.quit().catch(() => undefined);
    },
  };
}
