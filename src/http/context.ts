// Per-request context: who is calling, per-request DataLoaders, and the services. Built for each
// HTTP request here (contextFromRequest), and once per WebSocket connection (websocket.auth.ts).
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Request } from 'express';
import type { AuthContext } from '../auth/auth.checker.js';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { UserRecord } from '../users/user.model.js';

export interface Loaders {
  /** Any user by id, deleted ones included: one query per tick however many are asked for. */
  userById: DataLoader<string, UserRecord | null>;
}

export interface Context extends AuthContext {
  requestId: string;
  log: Logger;
  services: Services;
  loaders: Loaders;
  /** The request body's declared length (Content-Length), when there is one: uploads use it. */
  requestBytes?: number | undefined;
}

export function createLoaders(services: Services): Loaders {
  return {
    userById: new DataLoader<string, UserRecord | null>(async (ids) => {
      const rows = await services.usersRepository.findByIds(ids);
      const byId = new Map(rows.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

export function buildContext(
  services: Services,
  log: Logger,
  requestId: string,
  auth: { principal?: Principal | undefined; authError?: Error | undefined; requestBytes?: number | undefined },
): Context {
  return { requestId, log: log.child({ requestId }), services, loaders: createLoaders(services), ...auth };
}

/** The context of an HTTP request: its bearer token checked, its request id kept or made. */
export async function contextFromRequest(req: Request, services: Services, log: Logger): Promise<Context> {
  // The access log (access-log.ts) gave the request its id first; the log lines share it.
  const logged = (req as { id?: unknown }).id;
  const requestId = (typeof logged === 'string' ? logged : undefined) ?? headerValue(req.headers['x-request-id']) ?? randomUUID();
  try {
    const principal = await services.tokens.fromAuthorizationHeader(req.headers.authorization);
    return buildContext(services, log, requestId, { principal, requestBytes: declaredLength(req) });
  } catch (error) {
    // Not thrown here: `login` must still work with a stale token in the client's headers.
    return buildContext(services, log, requestId, { authError: error as Error, requestBytes: declaredLength(req) });
  }
}

function declaredLength(req: Request): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && /^[\w.:-]{1,128}$/.test(v) ? v : undefined;
}

/** Resolvers reach this only behind @Authorized, so a principal is guaranteed. */
export function principalOf(ctx: Context): Principal {
  if (!ctx.principal) throw new Error('resolver reached without a principal: missing @Authorized?');
  return ctx.principal;
}
