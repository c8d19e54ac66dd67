import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, MeDocument, UpdateMeDocument, UpdateUserDocument, UsersDocument, CreateUserDocument, DeleteUserDocument, UserDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser, uniqueEmail } from '../testkit/seed.js';

const SECRET = new TextEncoder().encode('test-secret-test-secret-test-secret-0123456789');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

async function token(claims: Record<string, unknown>, options: { alg?: string; iss?: string; aud?: string; exp?: number; iat?: number; sub?: string; key?: Uint8Array } = {}) {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt(options.iat ?? now)
    .setIssuer(options.iss ?? 'users-service')
    .setAudience(options.aud ?? 'users-service')
    .setExpirationTime(options.exp ?? now + 600);
  if (options.sub !== '') jwt = jwt.setSubject(options.sub ?? '00000000-0000-4000-8000-00000000abcd');
  return jwt.sign(options.key ?? SECRET);
}

describe('login', () => {
  it('returns a token, its expiry and the user, and records lastLoginAt', async () => {
    const password = 'correct horse battery';
    const user = await createUser(t.admin, { password });
    expect(user.lastLoginAt).toBeNull();
    const result = (await t.anonymous.execute(LoginDocument, { email: user.email.toUpperCase(), password })).expectData().login;
    expect(result.user.id).toBe(user.id);
    expect(result.user.lastLoginAt).not.toBeNull();
    // ACCESS_TOKEN_TTL's default: 15 minutes.
    expect(new Date(result.expiresAt).getTime()).toBeGreaterThan(Date.now() + 850_000);
    expect(new Date(result.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
    const me = (await t.anonymous.withToken(result.accessToken).execute(MeDocument)).expectData().me;
    expect(me.id).toBe(user.id);
  });

  it('gives a wrong password, an unknown, an inactive and a deleted account the same UNAUTHENTICATED error', async () => {
    const password = 'right-password-1';
    const inactive = await createUser(t.admin, { password, isActive: false });
    const deleted = await createUser(t.admin, { password });
    (await t.admin.execute(DeleteUserDocument, { id: deleted.id })).expectData();
    const active = await createUser(t.admin, { password });
    const noPassword = await createUser(t.admin);

    const attempts = [
      { email: active.email, password: 'wrong-password-1' },
      { email: uniqueEmail('ghost'), password },
      { email: inactive.email, password },
      { email: deleted.email, password },
      { email: noPassword.email, password },
    ];
    const messages = new Set<string>();
    for (const attempt of attempts) {
      const error = (await t.anonymous.execute(LoginDocument, attempt)).expectError('UNAUTHENTICATED');
      messages.add(error.message);
    }
    expect([...messages]).toEqual(['Invalid email or password']);
  });


  it('works even when the client still sends an expired token', async () => {
    const expired = await token({ roles: ['ADMIN'] }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const result = await t.anonymous.withToken(expired).execute(LoginDocument, { email: 'admin@example.test', password: 'admin-password-1' });
    result.expectData();
  });
});

describe('token verification', () => {
  const cases: [string, () => Promise<string>][] = [
    ['expired', () => token({ roles: ['ADMIN'] }, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['wrong issuer', () => token({ roles: ['ADMIN'] }, { iss: 'someone-else' })],
    ['wrong audience', () => token({ roles: ['ADMIN'] }, { aud: 'another-api' })],
    ['wrong key', () => token({ roles: ['ADMIN'] }, { key: new TextEncoder().encode('x'.repeat(48)) })],
    ['HS512 instead of HS256', () => token({ roles: ['ADMIN'] }, { alg: 'HS512' })],
    ['no subject', () => token({ roles: ['ADMIN'] }, { sub: '' })],
    ['iat an hour in the future', () => token({ roles: ['ADMIN'] }, { iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 })],
    ['iat a minute in the future', () => token({ roles: ['ADMIN'] }, { iat: Math.floor(Date.now() / 1000) + 60 })],
    ['nbf in the future', () => token({ roles: ['ADMIN'], nbf: Math.floor(Date.now() / 1000) + 600 })],
    ['unsigned (alg none)', () => Promise.resolve(`${b64({ alg: 'none' })}.${b64({ sub: 'x', roles: ['ADMIN'], iss: 'users-service', aud: 'users-service', exp: 9e9, iat: 1 })}.`)],
    ['garbage', () => Promise.resolve('not.a.jwt')],
  ];
  for (const [name, make] of cases) {
    it(`refuses a token with ${name}`, async () => {
      const result = await t.anonymous.withToken(await make()).execute(UsersDocument, { first: 1 });
      expect(result.expectError('UNAUTHENTICATED').extensions?.status).toBe(401);
      expect(result.body.data?.users ?? null).toBeNull();
    });
  }

  it('accepts an iat within the 5 s clock tolerance (an issuer clock may run a little ahead)', async () => {
    // The admin's own subject and session: a well-signed token must also belong to a live session.
    const { sub, sid } = JSON.parse(Buffer.from(t.admin.token!.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string };
    const ahead = await token({ roles: ['ADMIN'], sid }, { iat: Math.floor(Date.now() / 1000) + 2, sub });
    (await t.anonymous.withToken(ahead).execute(UsersDocument, { first: 1 })).expectData();
  });

  it('says why a future iat is refused', async () => {
    const future = await token({ roles: ['ADMIN'] }, { iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 });
    expect((await t.anonymous.withToken(future).execute(UsersDocument, { first: 1 })).expectError('UNAUTHENTICATED').message).toMatch(/future/);
  });

  it('refuses a request without a token', async () => {
    (await t.anonymous.execute(UsersDocument, { first: 1 })).expectError('UNAUTHENTICATED');
    (await t.anonymous.execute(MeDocument)).expectError('UNAUTHENTICATED');
  });

  it('refuses a malformed Authorization header', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Token abc' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('roles', () => {
  it('VIEWER may read but not write', async () => {
    const { client } = await clientFor(t.admin, 'VIEWER');
    const target = await createUser(t.admin);
    (await client.execute(UsersDocument, { first: 5 })).expectData();
    (await client.execute(UserDocument, { id: target.id })).expectData();
    (await client.execute(CreateUserDocument, { input: { email: uniqueEmail() } })).expectError('FORBIDDEN');
    (await client.execute(UpdateUserDocument, { id: target.id, input: { name: 'x' } })).expectError('FORBIDDEN');
    (await client.execute(DeleteUserDocument, { id: target.id })).expectError('FORBIDDEN');
  });

  it('USER may only use me, updateMe and user(id) with their own id', async () => {
    const { client, user } = await clientFor(t.admin, 'USER');
    const other = await createUser(t.admin);
    const me = (await client.execute(MeDocument)).expectData().me;
    expect(me.id).toBe(user.id);
    const updated = (await client.execute(UpdateMeDocument, { input: { firstName: ' Grace ', phoneNumber: '+12025550143' } })).expectData().updateMe;
    expect(updated.firstName).toBe('Grace');
    expect(updated.version).toBe(2);
    const forbidden = await client.execute(UsersDocument, { first: 1 });
    expect(forbidden.expectError('FORBIDDEN').extensions?.status).toBe(403);
    // user(id) follows the one read rule (UsersService.canRead): yourself, nobody else.
    expect((await client.execute(UserDocument, { id: user.id })).expectData().user?.id).toBe(user.id);
    (await client.execute(UserDocument, { id: other.id })).expectError('FORBIDDEN');
    (await client.execute(UpdateUserDocument, { id: user.id, input: { role: 'ADMIN' } })).expectError('FORBIDDEN');
  });

  it('updateMe cannot change role, email or activation', async () => {
    const { client } = await clientFor(t.admin, 'USER');
    const result = await client.execute('mutation { updateMe(input: { role: ADMIN }) { id } }');
    result.expectError('GRAPHQL_VALIDATION_FAILED');
  });

  it('an admin cannot delete, demote or deactivate themselves', async () => {
    const { client, user } = await clientFor(t.admin, 'ADMIN');
    (await client.execute(DeleteUserDocument, { id: user.id })).expectError('FORBIDDEN');
    (await client.execute(UpdateUserDocument, { id: user.id, input: { role: 'USER' } })).expectError('FORBIDDEN');
    (await client.execute(UpdateUserDocument, { id: user.id, input: { isActive: false } })).expectError('FORBIDDEN');
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
