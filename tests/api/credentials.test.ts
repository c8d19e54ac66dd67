// Admin credential actions as users meet them: a password set by an admin with a required
// change, a login that can then only change it, changing your own password, removing one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const SET =
  'mutation($id: ID!, $p: String!, $r: Boolean) { setUserPassword(id: $id, password: $p, requireChange: $r) { id passwordChangeRequired version } }';
const CHANGE =
  'mutation($c: String!, $n: String!) { changeMyPassword(currentPassword: $c, newPassword: $n) { accessToken user { id passwordChangeRequired } } }';
const LOGIN =
  'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { passwordChangeRequired } } }';

describe('setUserPassword with a required change', () => {
  it('the next login succeeds, but its token allows only me and changeMyPassword until the password is changed', async () => {
    const user = await createUser(t.admin, { role: 'VIEWER', password: 'original-password' });
    const set = await t.admin.execute<{ setUserPassword: { passwordChangeRequired: boolean } }>(SET, {
      id: user.id,
      p: 'temporary-password',
    });
    expect(set.expectData().setUserPassword.passwordChangeRequired).toBe(true);

    (await t.anonymous.execute(LOGIN, { e: user.email, p: 'original-password' })).expectError('UNAUTHENTICATED');
    const login = await t.anonymous.execute<{ login: { accessToken: string; user: { passwordChangeRequired: boolean } } }>(
      LOGIN,
      { e: user.email, p: 'temporary-password' },
    );
    const restricted = t.anonymous.withToken(login.expectData().login.accessToken);
    expect(login.expectData().login.user.passwordChangeRequired).toBe(true);

    expect((await restricted.execute<{ me: { id: string } }>('{ me { id } }')).expectData().me.id).toBe(user.id);
    // A VIEWER could list users; this token cannot, nor read itself by id.
    const listed = await restricted.execute('{ users(first: 1) { edges { cursor } } }');
    expect(listed.expectError('PASSWORD_CHANGE_REQUIRED').extensions?.status).toBe(403);
    (await restricted.execute('query($id: ID!) { user(id: $id) { id } }', { id: user.id })).expectError(
      'PASSWORD_CHANGE_REQUIRED',
    );
    (await restricted.execute('mutation { updateMe(input: { name: "x" }) { id } }')).expectError('PASSWORD_CHANGE_REQUIRED');
    // Nor open a subscription connection.
    const closed = await new Promise<number>((resolve) => {
      const client = createClient({
        url: t.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        connectionParams: { authorization: `Bearer ${login.expectData().login.accessToken}` },
        on: { closed: (event) => resolve((event as { code: number }).code) },
        onNonLazyError: () => undefined,
      });
      setTimeout(() => void client.dispose(), 5_000);
    });
    expect(closed).toBe(4403);

    (await restricted.execute(CHANGE, { c: 'wrong-password', n: 'my-own-password' })).expectError('BAD_USER_INPUT');
    const same = (await restricted.execute(CHANGE, { c: 'temporary-password', n: 'temporary-password' })).expectError(
      'BAD_USER_INPUT',
    );
    expect(same.extensions?.fields?.[0]?.field).toBe('newPassword');
    const changed = await restricted.execute<{
      changeMyPassword: { accessToken: string; user: { passwordChangeRequired: boolean } };
    }>(CHANGE, {
      c: 'temporary-password',
      n: 'my-own-password',
    });
    const fresh = t.anonymous.withToken(changed.expectData().changeMyPassword.accessToken);
    expect(changed.expectData().changeMyPassword.user.passwordChangeRequired).toBe(false);
    (await fresh.execute('{ users(first: 1) { edges { cursor } } }')).expectData();
    // And the next login is unrestricted.
    const again = await t.anonymous.execute<{ login: { accessToken: string } }>(LOGIN, { e: user.email, p: 'my-own-password' });
    (
      await t.anonymous.withToken(again.expectData().login.accessToken).execute('{ users(first: 1) { edges { cursor } } }')
    ).expectData();
  });

  it('requireChange: false sets the password without restricting the next login', async () => {
    const user = await createUser(t.admin, { role: 'VIEWER' });
    const set = await t.admin.execute<{ setUserPassword: { passwordChangeRequired: boolean } }>(SET, {
      id: user.id,
      p: 'set-by-admin',
      r: false,
    });
    expect(set.expectData().setUserPassword.passwordChangeRequired).toBe(false);
    const login = await t.anonymous.execute<{ login: { accessToken: string } }>(LOGIN, { e: user.email, p: 'set-by-admin' });
    (
      await t.anonymous.withToken(login.expectData().login.accessToken).execute('{ users(first: 1) { edges { cursor } } }')
    ).expectData();
  });

  it('refuses a short password on `password`, an unknown user, and a VIEWER caller', async () => {
    const user = await createUser(t.admin);
    expect(
      (await t.admin.execute(SET, { id: user.id, p: 'short' })).expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field,
    ).toBe('password');
    (await t.admin.execute(SET, { id: '00000000-0000-4000-8000-000000000000', p: 'long-enough-1' })).expectError(
      'USER_MANAGEMENT_USER_NOT_FOUND',
    );
    const viewer = await clientFor(t.admin, 'VIEWER');
    (await viewer.client.execute(SET, { id: user.id, p: 'long-enough-1' })).expectError('FORBIDDEN');
  });
});

describe('changeMyPassword and clearPassword', () => {
  it('any role changes their own password; the old one stops working', async () => {
    const me = await clientFor(t.admin, 'USER');
    const changed = await me.client.execute<{ changeMyPassword: { user: { id: string } } }>(CHANGE, {
      c: me.password,
      n: 'a brand new one',
    });
    expect(changed.expectData().changeMyPassword.user.id).toBe(me.user.id);
    (await t.anonymous.execute(LOGIN, { e: me.user.email, p: me.password })).expectError('UNAUTHENTICATED');
    (await t.anonymous.execute(LOGIN, { e: me.user.email, p: 'a brand new one' })).expectData();
  });

  it('clearPassword removes the password: no password login any more', async () => {
    const user = await createUser(t.admin, { password: 'will-be-cleared' });
    (await t.admin.execute('mutation($id: ID!) { clearPassword(id: $id) { id } }', { id: user.id })).expectData();
    (await t.anonymous.execute(LOGIN, { e: user.email, p: 'will-be-cleared' })).expectError('UNAUTHENTICATED');
  });

  it('each action is one USER_PASSWORD_CHANGED event that never carries the password', async () => {
    const user = await createUser(t.admin, { password: 'first-password' });
    const admin = (await t.admin.execute<{ me: { id: string } }>('{ me { id } }')).expectData().me.id;
    (await t.admin.execute(SET, { id: user.id, p: 'second-password' })).expectData();
    (await t.admin.execute('mutation($id: ID!) { clearPassword(id: $id) { id } }', { id: user.id })).expectData();
    const log = await t.admin.execute<{ userEventLog: { edges: { node: Record<string, unknown> }[] } }>(
      'query($id: ID!) { userEventLog(userId: $id, first: 5) { edges { node { type ... on UserPasswordChanged { requireChange cleared changedBy } } } } }',
      { id: user.id },
    );
    expect(log.expectData().userEventLog.edges.map((e) => e.node)).toEqual([
      { type: 'USER_CREATED' },
      { type: 'USER_PASSWORD_CHANGED', requireChange: true, cleared: false, changedBy: admin },
      { type: 'USER_PASSWORD_CHANGED', requireChange: false, cleared: true, changedBy: admin },
    ]);
    const stored = await t.app.services.db.prisma.$queryRaw<
      { payload: unknown }[]
    >`SELECT payload FROM user_events WHERE user_id = ${user.id}::uuid`;
    expect(JSON.stringify(stored)).not.toMatch(/second-password|\$2[aby]\$/);
  });
});
