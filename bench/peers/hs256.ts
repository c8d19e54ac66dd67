// The peers' token check: HS256 with node:crypto, the same claims our server checks (issuer,
// audience, exp, iat, sub). Both peers verify the bench's bearer token on every request, as our
// server does, so no system skips the work a real deployment does.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Hs256Options {
  secret: string;
  issuer: string;
  audience: string;
}

/** The subject of a valid token, or undefined. */
export function verifyHs256(header: string | undefined, options: Hs256Options): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const [head, body, signature] = match[1]!.split('.');
  if (!head || !body || !signature) return undefined;
  const expected = createHmac('sha256', options.secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const header0 = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
  if (header0.alg !== 'HS256') return undefined;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { sub?: string; iss?: string; aud?: string | string[]; exp?: number; iat?: number };
  const now = Date.now() / 1000;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== options.issuer || !audiences.includes(options.audience)) return undefined;
  if (typeof claims.exp !== 'number' || claims.exp < now - 5 || typeof claims.iat !== 'number' || claims.iat > now + 5) return undefined;
  return typeof claims.sub === 'string' ? claims.sub : undefined;
}

export function tokenOptionsFromEnv(): Hs256Options {
  return { secret: process.env.JWT_SECRET!, issuer: process.env.JWT_ISSUER ?? 'users-service', audience: process.env.JWT_AUDIENCE ?? 'users-service' };
}
