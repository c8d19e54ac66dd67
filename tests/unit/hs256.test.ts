// The synchronous HS256 check (src/auth/hs256.ts) against tokens minted by jose, as TokenService
// issues them, and against every way a token can be wrong. Each rule has its own case, so
// dropping one check from the verifier fails exactly that case.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Hs256Error, Hs256Verifier } from '../../src/auth/hs256.js';

const KEY = new TextEncoder().encode('hs256-unit-secret-hs256-unit-secret-0123');
const OPTIONS = { issuer: 'users-service', audience: 'users-service', clockToleranceSeconds: 5 };
const NOW = 1_800_000_000;
const verifier = new Hs256Verifier(KEY, OPTIONS);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const mac = (input: string, key: Uint8Array = KEY) => createHmac('sha256', key).update(input).digest('base64url');
const CLAIMS = { sub: '00000000-0000-4000-8000-00000000abcd', iss: 'users-service', aud: 'users-service', iat: NOW, exp: NOW + 900, roles: ['ADMIN'], sid: 's-1' };

/** A token signed with KEY (or `key`) over exactly the header and claims given. */
function forge(header: unknown, claims: unknown, key?: Uint8Array): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${mac(input, key)}`;
}
const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) => forge(header, claims);

function refusal(token: string, now = NOW): Hs256Error {
  try {
    verifier.verify(token, now);
  } catch (error) {
    expect(error).toBeInstanceOf(Hs256Error);
    return error as Hs256Error;
  }
  throw new Error('the token was accepted');
}

describe('HS256 verification', () => {
  it('accepts what TokenService issues (jose SignJWT) and returns its claims', async () => {
    const token = await new SignJWT({ roles: ['ADMIN'], sid: 's-1' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(CLAIMS.sub)
      .setIssuer('users-service')
      .setAudience('users-service')
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 900)
      .sign(KEY);
    expect(verifier.verify(token, NOW)).toEqual(CLAIMS);
  });

  it('accepts an audience list holding ours, no typ, and typ application/jwt', () => {
    expect(verifier.verify(signed({ ...CLAIMS, aud: ['other', 'users-service'] }), NOW).sub).toBe(CLAIMS.sub);
    expect(verifier.verify(signed(CLAIMS, { alg: 'HS256' }), NOW).sub).toBe(CLAIMS.sub);
    expect(verifier.verify(signed(CLAIMS, { alg: 'HS256', typ: 'application/JWT' }), NOW).sub).toBe(CLAIMS.sub);
  });

  it('refuses a tampered payload (signature of the original)', () => {
    const [h, , s] = signed(CLAIMS).split('.');
    expect(refusal(`${h}.${b64({ ...CLAIMS, roles: ['ADMIN', 'ROOT'] })}.${s}`).message).toMatch(/signature/);
  });

  it('refuses a tampered signature, a signature made with another key, and an empty one', () => {
    const token = signed(CLAIMS);
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1)!;
    expect(refusal(flipped).message).toMatch(/signature/);
    expect(refusal(forge({ alg: 'HS256' }, CLAIMS, new TextEncoder().encode('x'.repeat(48)))).message).toMatch(/signature/);
    expect(refusal(token.slice(0, token.lastIndexOf('.') + 1)).message).toMatch(/signature/);
  });

  it('refuses a second spelling of the same signature bytes (unused low bits set)', () => {
    const token = signed(CLAIMS);
    const last = token.at(-1)!;
    // 43 characters carry 258 bits for 256: the last character's two low bits are unused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    const other = token.slice(0, -1) + twin;
    expect(Buffer.from(other.split('.')[2]!, 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
    expect(refusal(other).message).toMatch(/signature/);
  });

  it('refuses alg none (unsigned) and alg HS512, however they are signed', () => {
    expect(refusal(`${b64({ alg: 'none' })}.${b64(CLAIMS)}.`).message).toMatch(/alg/);
    expect(refusal(signed(CLAIMS, { alg: 'none' })).message).toMatch(/alg/);
    const input = `${b64({ alg: 'HS512' })}.${b64(CLAIMS)}`;
    expect(refusal(`${input}.${createHmac('sha512', KEY).update(input).digest('base64url')}`).message).toMatch(/alg/);
    expect(refusal(signed(CLAIMS, { alg: 'HS512' })).message).toMatch(/alg/);
    expect(refusal(signed(CLAIMS, { typ: 'JWT' })).message).toMatch(/alg/);
  });

  it('refuses a crit extension and a typ that is not JWT', () => {
    expect(refusal(signed(CLAIMS, { alg: 'HS256', crit: ['b64'], b64: false })).message).toMatch(/crit/);
    expect(refusal(signed(CLAIMS, { alg: 'HS256', typ: 'at+jwt' })).message).toMatch(/typ/);
    expect(refusal(signed(CLAIMS, { alg: 'HS256', typ: 1 })).message).toMatch(/typ/);
  });

  it('refuses an expired token, beyond the clock tolerance only', () => {
    const token = signed({ ...CLAIMS, exp: NOW - 60 });
    const error = refusal(token);
    expect(error.expired).toBe(true);
    expect(error.message).toMatch(/exp/);
    expect(refusal(signed({ ...CLAIMS, exp: NOW - 5 })).expired).toBe(true);
    expect(verifier.verify(signed({ ...CLAIMS, exp: NOW - 4 }), NOW).sub).toBe(CLAIMS.sub);
  });

  it('refuses nbf in the future beyond the clock tolerance, and a non-numeric nbf', () => {
    expect(refusal(signed({ ...CLAIMS, nbf: NOW + 600 })).message).toMatch(/nbf/);
    expect(refusal(signed({ ...CLAIMS, nbf: NOW + 6 })).message).toMatch(/nbf/);
    expect(verifier.verify(signed({ ...CLAIMS, nbf: NOW + 5 }), NOW).sub).toBe(CLAIMS.sub);
    expect(refusal(signed({ ...CLAIMS, nbf: String(NOW) })).message).toMatch(/nbf/);
  });

  it('refuses a wrong issuer and a wrong audience', () => {
    expect(refusal(signed({ ...CLAIMS, iss: 'someone-else' })).message).toMatch(/iss/);
    expect(refusal(signed({ ...CLAIMS, aud: 'another-api' })).message).toMatch(/aud/);
    expect(refusal(signed({ ...CLAIMS, aud: ['another-api'] })).message).toMatch(/aud/);
  });

  for (const claim of ['sub', 'exp', 'iat', 'iss', 'aud']) {
    it(`refuses a token without ${claim}`, () => {
      const claims: Record<string, unknown> = { ...CLAIMS };
      delete claims[claim];
      expect(refusal(signed(claims)).message).toMatch(new RegExp(`missing required "${claim}"`));
    });
  }

  it('refuses exp and iat that are not numbers, and a sub that is not a non-empty string', () => {
    expect(refusal(signed({ ...CLAIMS, exp: String(NOW + 900) })).message).toMatch(/exp/);
    expect(refusal(signed({ ...CLAIMS, iat: null })).message).toMatch(/iat/);
    expect(refusal(signed({ ...CLAIMS, sub: 42 })).message).toMatch(/sub/);
    expect(refusal(signed({ ...CLAIMS, sub: '' })).message).toMatch(/sub/);
  });

  it('refuses malformed tokens: segments, base64url, JSON, objects, UTF-8', () => {
    const good = signed(CLAIMS);
    expect(refusal('not.a.jwt').message).toMatch(/JSON|base64url/);
    expect(refusal(`${good}.extra`).message).toMatch(/Compact/);
    expect(refusal(good.split('.').slice(0, 2).join('.')).message).toMatch(/Compact/);
    expect(refusal(`${b64({ alg: 'HS256' })}=.${b64(CLAIMS)}.x`).message).toMatch(/base64url/);
    expect(refusal(forge({ alg: 'HS256' }, [CLAIMS])).message).toMatch(/object/);
    expect(refusal(forge(['HS256'], CLAIMS)).message).toMatch(/object/);
    const latin1 = `${b64({ alg: 'HS256' })}.${Buffer.from(`{"sub":"\xe9","iss":"users-service"}`, 'latin1').toString('base64url')}`;
    expect(refusal(`${latin1}.${mac(latin1)}`).message).toMatch(/JSON/);
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new Hs256Verifier(new Uint8Array(31), OPTIONS)).toThrow(/32 bytes/);
  });
});
