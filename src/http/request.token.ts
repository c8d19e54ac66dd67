// The bearer token of an HTTP request, verified once however many steps ask for it: the rate
// limiter (per-principal budget) and the request context both need it, and an HS256 check is a
// WebCrypto job per call.
import type { Request } from 'express';
import type { Principal } from '../auth/principal.js';
import type { TokenService } from '../auth/token.service.js';

const verified = new WeakMap<Request, Promise<Principal | undefined>>();

/** Rejects as TokenService.fromAuthorizationHeader does; every caller handles that itself. */
export function requestToken(req: Request, tokens: TokenService): Promise<Principal | undefined> {
  let result = verified.get(req);
  if (!result) {
    result = tokens.fromAuthorizationHeader(req.headers.authorization);
    verified.set(req, result);
  }
  return result;
}
