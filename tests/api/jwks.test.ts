// JWKS_URL: tokens from an external identity provider (RS256/ES256) are accepted alongside our
// own HS256 ones, verified against the provider's published keys, with the same strict checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DeleteUserDocument, MeDocument, SuspendUserDocument, UsersDocument } from '../generated/graphql.js';
import { createUser } from '../testkit/seed.js';
import { startTestApp, type TestApp } from '../testkit/app.js';

let t: TestApp;
let jwks: Server;
let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };

beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  stranger = await generateKeyPair('RS256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  t = await startTestApp({ env: { JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` } });
});
afterAll(async () => {
  await t?.stop();
  jwks?.close();
});

function externalToken(key: CryptoKey, alg: string, kid: string, roles: string[], overrides: { aud?: string; sub?: string } = {}): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg, kid })
    .setSubject(overrides.sub ?? 'idp|12345')
    .setIssuer('users-service')
    .setAudience(overrides.aud ?? 'users-service')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

describe('tokens from an external identity provider', () => {
  it('accepts RS256 and ES256 tokens signed by a published key, with their roles', async () => {
    for (const [key, alg, kid] of [
      [rsa.privateKey, 'RS256', 'rsa-1'],
      [ec.privateKey, 'ES256', 'ec-1'],
    ] as const) {
      const client = t.anonymous.withToken(await externalToken(key, alg, kid, ['VIEWER']));
      (await client.execute(UsersDocument, { first: 1 })).expectData();
    }
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const client = t.anonymous.withToken(await externalToken(stranger.privateKey, 'RS256', 'rsa-1', ['ADMIN']));
    (await client.execute(UsersDocument, { first: 1 })).expectError('UNAUTHENTICATED');
  });

  it('still checks the audience', async () => {
    const client = t.anonymous.withToken(await externalToken(rsa.privateKey, 'RS256', 'rsa-1', ['ADMIN'], { aud: 'other' }));
    (await client.execute(UsersDocument, { first: 1 })).expectError('UNAUTHENTICATED');
  });

  it('keeps accepting our own HS256 tokens', async () => {
    (await t.admin.execute(MeDocument)).expectData();
  });

  it('gives an external subject with no local user USER_MANAGEMENT_USER_NOT_FOUND on me', async () => {
    const client = t.anonymous.withToken(await externalToken(rsa.privateKey, 'RS256', 'rsa-1', ['USER']));
    (await client.execute(MeDocument)).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
  });

  it('refuses the token of a subject that is one of our users once that user is suspended or deleted (issue 12)', async () => {
    for (const end of ['suspend', 'delete'] as const) {
      const user = await createUser(t.admin, { role: 'VIEWER' });
      const client = t.anonymous.withToken(await externalToken(rsa.privateKey, 'RS256', 'rsa-1', ['VIEWER'], { sub: user.id }));
      (await client.execute(UsersDocument, { first: 1 })).expectData();
      if (end === 'suspend') (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'idp test' })).expectData();
      else (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectData();
      (await client.execute(UsersDocument, { first: 1 })).expectError('UNAUTHENTICATED');
    }
  });

  it('keeps accepting other subjects: revoking them is the provider\'s job', async () => {
    const client = t.anonymous.withToken(await externalToken(rsa.privateKey, 'RS256', 'rsa-1', ['VIEWER'], { sub: '00000000-0000-4000-8000-00000000beef' }));
    (await client.execute(UsersDocument, { first: 1 })).expectData();
  });
});
