// Per-request context: who is calling, per-request DataLoaders, and the services.
import DataLoader from 'dataloader';
import type { AuthContext } from '../auth/auth-checker.js';
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

/** Resolvers reach this only behind @Authorized, so a principal is guaranteed. */
export function principalOf(ctx: Context): Principal {
  if (!ctx.principal) throw new Error('resolver reached without a principal: missing @Authorized?');
  return ctx.principal;
}
