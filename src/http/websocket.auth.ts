// graphql-ws authentication: the token comes in connectionParams.authorization ("Bearer ...")
// and is checked once at connect. Bad or missing token: close 4401; without the permission
// subscriptions.connect (auth/policy.ts): 4403; the socket is closed with 4401 when the token expires.
import { randomUUID } from 'node:crypto';
import type { Context as WsContext, ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { buildContext, type Context } from './context.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { holdersOf, holds } from '../auth/policy.js';

type Ctx = WsContext<Record<string, unknown>, Extra & { context?: Context }>;

export const WS_CLOSE_UNAUTHENTICATED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

export function websocketAuth(services: Services, log: Logger): Pick<ServerOptions<Record<string, unknown>, Extra & { context?: Context }>, 'onConnect' | 'onClose'> {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  return {
    onConnect: async (ctx: Ctx) => {
      const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      let principal;
      try {
        principal = await services.tokens.fromAuthorizationHeader(typeof raw === 'string' ? raw : undefined);
      } catch (error) {
        ctx.extra.socket.close(WS_CLOSE_UNAUTHENTICATED, (error as Error).message.slice(0, 100));
        return false;
      }
      if (!principal) {
        ctx.extra.socket.close(WS_CLOSE_UNAUTHENTICATED, 'Missing connectionParams.authorization');
        return false;
      }
      if (!holds(principal, 'subscriptions.connect')) {
        ctx.extra.socket.close(WS_CLOSE_FORBIDDEN, `Subscriptions require role ${holdersOf('subscriptions.connect')}`);
        return false;
      }
      const socket = ctx.extra.socket;
      const ms = Math.max(0, principal.expiresAt.getTime() - Date.now());
      // setTimeout caps at ~24.8 days; longer-lived tokens just get the cap.
      const timer = setTimeout(() => socket.close(WS_CLOSE_UNAUTHENTICATED, 'Token expired'), Math.min(ms, 2 ** 31 - 1));
      timer.unref();
      timers.set(socket, timer);
      ctx.extra.context = buildContext(services, log, randomUUID(), { principal });
      return true;
    },
    onClose: (ctx: Ctx) => {
      const timer = timers.get(ctx.extra.socket);
      if (timer) clearTimeout(timer);
    },
  };
}
