// Our own access tokens (HS256, compact JWS) checked synchronously with node:crypto. jose's
// jwtVerify ran every request's HMAC as a WebCrypto job (a thread-pool round trip, key import,
// promise plumbing): ~11% of the server's busy time on a first page. An HMAC of ~300 bytes costs
// microseconds on the event loop, so it runs here, inline.
//
// The checks are jose's for the options TokenService gave it (alg pinned, issuer, audience,
// required exp/iat/sub, numeric dates, nbf/exp with the clock tolerance, no `crit` extension,
// strict UTF-8 JSON objects), plus a few jose does not make: the signature must be the canonical
// base64url of the MAC (no second spelling of the same bytes), `typ`, when present, must say JWT,
// `sub` must be a string, and the key must be at least 32 bytes. Tokens from an identity provider
// (JWKS) still go through jose.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Hs256Options {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/** The claims of a verified token (the ones TokenService reads are checked for type). */
export interface Hs256Payload {
  sub: string;
  exp: number;
  iat: number;
  [claim: string]: unknown;
}

/** Why a token was refused; `expired` lets the caller say "Token expired". */
export class Hs256Error extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'Hs256Error';
  }
}

/** RFC 7518 §3.2: an HS256 key is at least as long as the hash output. */
export const HS256_MIN_KEY_BYTES = 32;
/** A base64url segment without padding (what a compact JWS holds). */
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** 32 bytes of HMAC-SHA256 in unpadded base64url. */
const SIGNATURE_CHARS = 43;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Hs256Verifier {
  private readonly key: Buffer;

  constructor(
    key: Uint8Array,
    private readonly options: Hs256Options,
  ) {
    if (key.byteLength < HS256_MIN_KEY_BYTES) throw new Error(`an HS256 key must be at least ${HS256_MIN_KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  /** The token's header, decoded but not yet trusted (to pick the verifier by `alg`). */
  static header(token: string): Record<string, unknown> {
    const dot = token.indexOf('.');
    if (dot <= 0) throw new Hs256Error('Invalid Compact JWS');
    return jsonObject(token.slice(0, dot), 'JWS Protected Header');
  }

  /** The payload of a valid token; throws Hs256Error saying what failed. */
  verify(token: string, now = Math.floor(Date.now() / 1000)): Hs256Payload {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Hs256Error('Invalid Compact JWS');
    const [head, body, signature] = parts as [string, string, string];
    const header = jsonObject(head, 'JWS Protected Header');
    if (header.alg !== 'HS256') throw new Hs256Error('"alg" (Algorithm) Header Parameter value not allowed');
    // We understand no extension; jose refuses every `crit` but b64, which a JWT must not use.
    if (header.crit !== undefined) throw new Hs256Error('"crit" (Critical) Header Parameter is not supported');
    if (header.typ !== undefined && (typeof header.typ !== 'string' || !/^(application\/)?jwt$/i.test(header.typ))) {
      throw new Hs256Error('unexpected "typ" JWT header value');
    }
    if (signature.length !== SIGNATURE_CHARS || !SEGMENT.test(signature)) throw new Hs256Error('signature verification failed');
    // Compared as the canonical text of the expected MAC, in constant time: a signature whose
    // last character differs only in unused bits decodes to the same bytes and is still refused.
    const expected = Buffer.from(createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url'), 'latin1');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'latin1'))) throw new Hs256Error('signature verification failed');

    const claims = jsonObject(body, 'JWT Claims Set');
    for (const claim of ['exp', 'iat', 'sub', 'iss', 'aud']) {
      if (!Object.hasOwn(claims, claim)) throw new Hs256Error(`missing required "${claim}" claim`);
    }
    if (claims.iss !== this.options.issuer) throw new Hs256Error('unexpected "iss" claim value');
    const aud = claims.aud;
    if (!(aud === this.options.audience || (Array.isArray(aud) && aud.includes(this.options.audience)))) throw new Hs256Error('unexpected "aud" claim value');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new Hs256Error('"sub" claim must be a non-empty string');
    const tolerance = this.options.clockToleranceSeconds;
    const iat = numericDate(claims, 'iat');
    const nbf = claims.nbf === undefined ? undefined : numericDate(claims, 'nbf');
    if (nbf !== undefined && nbf > now + tolerance) throw new Hs256Error('"nbf" claim timestamp check failed');
    const exp = numericDate(claims, 'exp');
    if (exp <= now - tolerance) throw new Hs256Error('"exp" claim timestamp check failed', true);
    return { ...claims, sub: claims.sub, exp, iat };
  }
}

function numericDate(claims: Record<string, unknown>, claim: string): number {
  const value = claims[claim];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Hs256Error(`"${claim}" claim must be a number`);
  return value;
}

/** A base64url segment holding a JSON object in strict UTF-8. */
function jsonObject(segment: string, what: string): Record<string, unknown> {
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) throw new Hs256Error(`${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw new Hs256Error(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Hs256Error(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}
