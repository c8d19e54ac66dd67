// JWT issue and verification. Verification is strict: algorithm allow-list, required
// exp/iat/sub, issuer and audience checked, `iat` not in the future, small clock tolerance. Our own
// tokens are HS256, checked synchronously by hs256.ts (jose signs them); with JWKS_URL, RS256/ES256
// tokens from an external identity provider are accepted too, through jose.
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { UnauthenticatedError } from '../errors.js';
import { Hs256Error, Hs256Verifier } from './hs256.js';
import { ROLES, type Role } from '../users/user.model.js';
import type { Principal } from './principal.js';

export interface TokenConfig {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  jwksUrl?: string | undefined;
}

const EXTERNAL_ALGORITHMS = ['RS256', 'ES256'];
/** Seconds of clock skew allowed between the token's issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * Our own tokens that passed verification, kept until they expire: a client sends the same token
 * with every request until it refreshes, and its signature, issuer, audience and claims cannot
 * change. The expiry is checked on every use, the account and session checks (AccessCache) run on
 * every request as before, and refused tokens are never kept. Bounded: the oldest goes first.
 */
const VERIFIED_TOKENS = 10_000;

export class TokenService {
  private readonly key: Uint8Array;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly hs256: Hs256Verifier;
  private readonly verified = new Map<string, { principal: Principal; exp: number }>();

  constructor(private readonly config: TokenConfig) {
    this.key = new TextEncoder().encode(config.secret);
    this.hs256 = new Hs256Verifier(this.key, { issuer: config.issuer, audience: config.audience, clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS });
    this.jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  }

  /**
   * An access token for a session (see SessionService). It ends at `notAfter` at the latest (the
   * session's own end), so no access token outlives its session. `restricted`: the holder must
   * change their password first (the `pwd_change` claim).
   */
  async issue(
    subject: string,
    roles: Role[],
    sessionId: string,
    options: { ttlSeconds?: number; notAfter?: Date; restricted?: boolean } = {},
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    let exp = now + (options.ttlSeconds ?? this.config.ttlSeconds);
    if (options.notAfter) exp = Math.max(now + 1, Math.min(exp, Math.floor(options.notAfter.getTime() / 1000)));
    const token = await new SignJWT(options.restricted ? { roles, sid: sessionId, pwd_change: true } : { roles, sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies a bearer token; throws UNAUTHENTICATED with a reason a client can act on. */
  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) {
      // The same test as Hs256Verifier's: once expired, the full check below says so.
      if (known.exp > Math.floor(Date.now() / 1000) - CLOCK_TOLERANCE_SECONDS)
        return { ...known.principal, roles: [...known.principal.roles] };
      this.verified.delete(token);
    }
    let payload: JWTPayload;
    let alg: string | undefined;
    try {
      const headerAlg = Hs256Verifier.header(token).alg;
      alg = typeof headerAlg === 'string' ? headerAlg : undefined;
      if (alg === 'HS256') {
        payload = this.hs256.verify(token);
      } else if (this.jwks && alg && EXTERNAL_ALGORITHMS.includes(alg)) {
        const options = {
          issuer: this.config.issuer,
          audience: this.config.audience,
          requiredClaims: ['exp', 'iat', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        };
        ({ payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: EXTERNAL_ALGORITHMS }));
      } else {
        throw new UnauthenticatedError(`Token algorithm ${alg ?? '(none)'} is not accepted`);
      }
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if ((error instanceof Hs256Error && error.expired) || error instanceof errors.JWTExpired) throw new UnauthenticatedError('Token expired');
      throw new UnauthenticatedError('Invalid token');
    }
    // jose compares `iat` with the clock only when given a maxTokenAge. A token issued in the
    // future comes from a skewed clock or from someone minting long-lived tokens: refused.
    if (payload.iat! > Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_SECONDS) throw new UnauthenticatedError('Token issued in the future (iat)');
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    const sessionId = typeof payload.sid === 'string' ? payload.sid : undefined;
    const principal: Principal = { userId: payload.sub!, roles, expiresAt: new Date(payload.exp! * 1000), sessionId, external: alg !== 'HS256' };
    if (payload.pwd_change === true) principal.passwordChangeRequired = true;
    if (!principal.external) {
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { principal: { ...principal, roles: [...roles] }, exp: payload.exp! });
    }
    return principal;
  }

  /** Parses an `Authorization: Bearer …` value; undefined when absent. */
  async fromAuthorizationHeader(header: string | undefined | null): Promise<Principal | undefined> {
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    return this.verify(match[1]!);
  }
}
