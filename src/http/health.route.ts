// GET /healthz (the process is up) and GET /readyz (the database answers in time; otherwise 503
// with Retry-After, so a load balancer takes the instance out until it recovers).
import type { RequestHandler } from 'express';
import { RETRY_AFTER_SECONDS } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';

/** /readyz answers 503 when the database does not answer within this. */
const READINESS_TIMEOUT_MS = 3_000;

export const liveness: RequestHandler = (_req, res) => {
  res.json({ status: 'ok' });
};

export function readiness(db: Services['db'], log: Logger): RequestHandler {
  return async (_req, res) => {
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
