// GET /healthz (the process is up, until it exits) and GET /readyz (the database answers in time
// and the server is not shutting down; otherwise 503, so a load balancer takes the instance out:
// until the database recovers, or for good once shutdown has begun).
import type { RequestHandler } from 'express';
import { RETRY_AFTER_SECONDS } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';

/** /readyz answers 503 when the database does not answer within this. */
const READINESS_TIMEOUT_MS = 3_000;

export const liveness: RequestHandler = (_req, res) => {
  res.json({ status: 'ok' });
};

/** Set once shutdown begins; /readyz then answers 503 while in-flight requests finish. */
export interface DrainState {
  draining: boolean;
}

export function readiness(db: Services['db'], log: Logger, state: DrainState): RequestHandler {
  return async (_req, res) => {
    if (state.draining) {
      res.status(503).json({ status: 'draining', database: db.kind });
      return;
    }
    try {
      await withTimeout(db.ping(), READINESS_TIMEOUT_MS);
      res.json({ status: 'ready', database: db.kind });
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      res.status(503).set('retry-after', String(RETRY_AFTER_SECONDS)).json({ status: 'unavailable', database: db.kind });
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
