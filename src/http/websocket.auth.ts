// graphql-ws authentication: the token comes in connectionParams.authorization ("Bearer ...")
// and is checked at connect, then against the account (AccessCache) on every message and whenever
// the account changes. Bad or missing token: close 4401; without the permission
// subscriptions.connect (auth/policy.ts): 4403; the socket is closed with 4401 when the token
// expires, or when its session ends or its account stops being active (suspended, deactivated,
// deleted, password changed, sessions revoked), and with 4403 when a role change takes away
// subscriptions.connect. Those changes arrive as user events, so the close follows them within the
// relay's delivery bound (access.cache.ts).
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Context as WsContext, ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { buildContext, type Context } from './context.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { holdersOf, holds } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { UnauthenticatedError } from '../errors.js';

type WsExtra = Extra & { context?: Context };
type Ctx = WsContext<Record<string, unknown>, WsExtra>;
type Options = ServerOptions<Record<string, unknown>, WsExtra>;

export const WS_CLOSE_UNAUTHENTICATED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

/** A database hiccup while re-checking an open socket: try again this much later. */
const RECHECK_RETRY_MS = 1_000;

interface Connection {
  /** The principal as the token says (re-checked against the account each time). */
  verified: Principal;
  timer: NodeJS.Timeout;
  unwatch: () => void;
}

export function websocketAuth(
  services: Services,
  log: Logger,
): Pick<Options, 'onConnect' | 'onClose'> & {
  guardSubscribe(next: NonNullable<Options['onSubscribe']>): NonNullable<Options['onSubscribe']>;
} {
  const connections = new WeakMap<object, Connection>();

  /** The principal as it may act now, or undefined after closing the socket (4401/4403). */
  const admit = async (ctx: Ctx, verified: Principal): Promise<Principal | undefined> => {
    const socket = ctx.extra.socket;
    let principal: Principal;
    try {
      principal = await services.access.check(verified);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      socket.close(WS_CLOSE_UNAUTHENTICATED, error.message.slice(0, 100));
      return undefined;
    }
    if (!holds(principal, 'subscriptions.connect')) {
      socket.close(WS_CLOSE_FORBIDDEN, `Subscriptions require role ${holdersOf('subscriptions.connect')}`);
      return undefined;
    }
    if (ctx.extra.context) ctx.extra.context.principal = principal;
    return principal;
  };

  const recheck = (ctx: Ctx, verified: Principal): void => {
    admit(ctx, verified).catch((error: unknown) => {
      log.warn({ err: error }, 'could not re-check a subscriber: trying again');
      setTimeout(() => recheck(ctx, verified), RECHECK_RETRY_MS).unref();
    });
  };

  return {
    onConnect: async (ctx: Ctx) => {
      const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      let verified;
      try {
        verified = await services.tokens.fromAuthorizationHeader(typeof raw === 'string' ? raw : undefined);
      } catch (error) {
        ctx.extra.socket.close(WS_CLOSE_UNAUTHENTICATED, (error as Error).message.slice(0, 100));
        return false;
      }
      if (!verified) {
        ctx.extra.socket.close(WS_CLOSE_UNAUTHENTICATED, 'Missing connectionParams.authorization');
        return false;
      }
      const principal = await admit(ctx, verified);
      if (!principal) return false;
      const socket = ctx.extra.socket;
      const ms = Math.max(0, principal.expiresAt.getTime() - Date.now());
      // setTimeout caps at ~24.8 days; longer-lived tokens just get the cap.
      const timer = setTimeout(() => socket.close(WS_CLOSE_UNAUTHENTICATED, 'Token expired'), Math.min(ms, 2 ** 31 - 1));
      timer.unref();
      const unwatch = services.access.watch(principal.userId, () => recheck(ctx, verified));
      connections.set(socket, { verified, timer, unwatch });
      ctx.extra.context = buildContext(services, log, randomUUID(), { principal });
      return true;
    },
    onClose: (ctx: Ctx) => {
      const connection = connections.get(ctx.extra.socket);
      if (!connection) return;
      clearTimeout(connection.timer);
      connection.unwatch();
      connections.delete(ctx.extra.socket);
    },
    // Every subscribe message: the account may have changed since the last one.
    guardSubscribe: (next) => async (ctx, id, payload) => {
      const connection = connections.get(ctx.extra.socket);
      if (connection && !(await admit(ctx, connection.verified))) {
        return [new GraphQLError('Session ended', { extensions: { code: 'UNAUTHENTICATED', status: 401 } })];
      }
      return next(ctx, id, payload);
    },
  };
}
