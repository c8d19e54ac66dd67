// Per-request context: who is calling, per-request DataLoaders, and the services. Built for each
// HTTP request here (contextFromRequest), and once per WebSocket connection (websocket.auth.ts).
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Request } from 'express';
import type { AuthContext } from '../auth/auth.checker.js';
import type { Principal } from '../auth/principal.js';
import type { ClientInfo } from '../auth/session.service.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { UserRecord } from '../users/user.model.js';
import { requestToken } from './request.token.js';

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
  /** Where the request came from (Express's req.ip, User-Agent): kept on sessions. */
  client: ClientInfo;
  /**
   * The origin the client reached (scheme and Host; X-Forwarded-Proto/Host only from a proxy
   * TRUST_PROXY trusts): export links point there. Unset over WebSocket.
   */
  origin?: string | undefined;
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
  auth: { principal?: Principal | undefined; authError?: Error | undefined; requestBytes?: number | undefined; client?: ClientInfo; origin?: string | undefined },
): Context {
  let requestLog: Logger | undefined;
  return {
    requestId,
    // A child logger serialises its bindings when made: made only if the request logs a line.
    get log() {
      return (requestLog ??= log.child({ requestId }));
    },
    services,
    loaders: createLoaders(services),
    client: { ip: null, userAgent: null },
    ...auth,
  };
}

/** The context of an HTTP request: its bearer token checked, its request id kept or made. */
export async function contextFromRequest(req: Request, services: Services, log: Logger): Promise<Context> {
  const client: ClientInfo = { ip: req.ip ?? null, userAgent: headerText(req.headers['user-agent']) };
  // The access log (access-log.ts) gave the request its id first; the log lines share it.
  const logged = (req as { id?: unknown }).id;
  const requestId = (typeof logged === 'string' ? logged : undefined) ?? headerValue(req.headers['x-request-id']) ?? randomUUID();
  try {
    const verified = await requestToken(req, services.tokens);
    // The account decides, not only the signature: a suspended user's token stops here.
    const principal = verified && (await services.access.check(verified));
    return buildContext(services, log, requestId, { principal, requestBytes: declaredLength(req), client, origin: originOf(req) });
  } catch (error) {
    // Not thrown here: `login` must still work with a stale token in the client's headers.
    return buildContext(services, log, requestId, { authError: error as Error, requestBytes: declaredLength(req), client, origin: originOf(req) });
  }
}

/** Express reads X-Forwarded-Proto and X-Forwarded-Host only when `trust proxy` allows. */
function originOf(req: Request): string | undefined {
  const host = req.host;
  // A Host header is the client's to choose: only a plain host[:port] becomes part of a link.
  if (!host || !/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(host)) return undefined;
  return `${req.protocol}://${host}`;
}

function declaredLength(req: Request): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function headerText(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return v ? v.slice(0, 512) : null;
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
