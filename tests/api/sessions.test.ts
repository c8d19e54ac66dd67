// Sessions end when the account does (issue 12): an issued access token is refused once its user
// is suspended, deactivated, deleted, has a new password or has their sessions revoked; a role
// change applies to the next request; refresh tokens rotate and a reused one ends its session;
// open subscriptions close. Over real HTTP and WebSocket, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateUserDocument,
  DeactivateUserDocument,
  DeleteUserDocument,
  LoginWithRefreshDocument,
  LogoutDocument,
  LogoutEverywhereDocument,
  MeDocument,
  MySessionsDocument,
  OnUserCreatedDocument,
  RefreshSessionDocument,
  RevokeUserSessionsDocument,
  SuspendUserDocument,
  UnsuspendUserDocument,
  UpdateUserDocument,
  UserEventLogDocument,
  UserSessionsDocument,
  UsersDocument,
  type LoginWithRefreshMutation,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type WsClient } from '../testkit/subscriptions.js';

let t: TestApp;
const sockets: WsClient[] = [];

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  await t?.stop();
});

type Login = LoginWithRefreshMutation['login'];

/** A new user with a password, and a way to log them in (each login is a new session). */
async function account(role: 'ADMIN' | 'VIEWER' | 'USER' = 'VIEWER') {
  const password = `pw-${uniqueEmail()}`;
  const user = await createUser(t.admin, { role, password });
  const login = async (): Promise<Login & { client: GraphQLClient }> => {
    const result = (await t.anonymous.execute(LoginWithRefreshDocument, { email: user.email, password })).expectData().login;
    return { ...result, client: t.anonymous.withToken(result.accessToken) };
  };
  return { user, password, login };
}

/** Subscribes and waits until the server has the subscription open. */
async function liveSubscription(ws: WsClient) {
  const before = t.app.services.events.subscriberCount;
  const sub = subscribe(ws, OnUserCreatedDocument);
  await eventually(() => t.app.services.events.subscriberCount > before, 5_000, 'the subscription to start');
  return sub;
}

async function accepted(client: GraphQLClient): Promise<void> {
  (await client.execute(MeDocument)).expectData();
}

async function refused(client: GraphQLClient): Promise<void> {
  const result = await client.execute(MeDocument);
  expect(result.expectError('UNAUTHENTICATED').extensions?.status).toBe(401);
}

describe('an issued access token dies with the account', () => {
  const changes: [string, (userId: string) => Promise<void>][] = [
    ['suspended', async (id) => void (await t.admin.execute(SuspendUserDocument, { id, reason: 'test' })).expectData()],
    ['deactivated', async (id) => void (await t.admin.execute(DeactivateUserDocument, { id })).expectData()],
    ['deleted', async (id) => void (await t.admin.execute(DeleteUserDocument, { id })).expectData()],
    ['given a new password', async (id) => void (await t.admin.execute(UpdateUserDocument, { id, input: { password: 'a-new-password-1' } })).expectData()],
    ['revoked', async (userId) => void expect((await t.admin.execute(RevokeUserSessionsDocument, { userId })).expectData().revokeUserSessions).toBe(2)],
  ];
  for (const [what, change] of changes) {
    it(`when the user is ${what}: every session's token is refused`, async () => {
      const { user, login } = await account();
      const [one, two] = [await login(), await login()];
      await accepted(one.client);
      await accepted(two.client);
      await change(user.id);
      await refused(one.client);
      await refused(two.client);
      (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: one.refreshToken })).expectError('UNAUTHENTICATED');
    });
  }

  it('stays dead after an unsuspend; a new login works', async () => {
    const { user, login } = await account();
    const old = await login();
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'test' })).expectData();
    await refused(old.client);
    (await t.admin.execute(UnsuspendUserDocument, { id: user.id })).expectData();
    await refused(old.client);
    await accepted((await login()).client);
  });

  it('a demoted admin acts with the new role on the next request (roles come from the account)', async () => {
    const { user, login } = await account('ADMIN');
    const { client } = await login();
    (await client.execute(CreateUserDocument, { input: { email: uniqueEmail() } })).expectData();
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { role: 'VIEWER' } })).expectData();
    (await client.execute(CreateUserDocument, { input: { email: uniqueEmail() } })).expectError('FORBIDDEN');
    (await client.execute(UsersDocument, { first: 1 })).expectData();
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { role: 'USER' } })).expectData();
    (await client.execute(UsersDocument, { first: 1 })).expectError('FORBIDDEN');
    await accepted(client);
  });

  it('records one USER_SESSIONS_REVOKED with the change, naming the sessions', async () => {
    const { user, login } = await account();
    const [one, two] = [await login(), await login()];
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'test' })).expectData();
    const log = (await t.admin.execute(UserEventLogDocument, { userId: user.id, types: ['USER_SESSIONS_REVOKED'] })).expectData().userEventLog;
    expect(log.edges).toHaveLength(1);
    const event = log.edges[0]!.node;
    expect(event).toMatchObject({ __typename: 'UserSessionsRevoked', userId: user.id, reason: 'ACCOUNT_DISABLED' });
    expect(event.__typename === 'UserSessionsRevoked' && [...event.sessionIds].sort()).toEqual([one.sessionId, two.sessionId].sort());
  });

  it('checks a warm token without reading the database', async () => {
    const { login } = await account();
    const { client } = await login();
    await accepted(client);
    const before = t.app.services.access.loads;
    for (let i = 0; i < 5; i++) await accepted(client);
    expect(t.app.services.access.loads).toBe(before);
  });

  it('refuses a well-signed token whose session never existed', async () => {
    const { user } = await account();
    const { token } = await t.app.services.tokens.issue(user.id, ['VIEWER'], '00000000-0000-4000-8000-000000000000');
    await refused(t.anonymous.withToken(token));
  });
});

describe('refresh tokens', () => {
  it('refreshSession returns a new pair for the same session; the old refresh token is spent', async () => {
    const { user, login } = await account();
    const first = await login();
    expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(first.refreshTokenExpiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const second = (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: first.refreshToken })).expectData().refreshSession;
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.user.id).toBe(user.id);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await accepted(t.anonymous.withToken(second.accessToken));
    const third = (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: second.refreshToken })).expectData().refreshSession;
    await accepted(t.anonymous.withToken(third.accessToken));
  });

  it('a spent refresh token presented again ends the whole session (reuse detection)', async () => {
    const { login } = await account();
    const first = await login();
    const other = await login();
    const second = (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: first.refreshToken })).expectData().refreshSession;
    const reuse = await t.anonymous.execute(RefreshSessionDocument, { refreshToken: first.refreshToken });
    expect(reuse.expectError('UNAUTHENTICATED').message).toMatch(/already used/);
    await refused(t.anonymous.withToken(second.accessToken));
    await refused(first.client);
    (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: second.refreshToken })).expectError('UNAUTHENTICATED');
    // Another session of the same user is not affected.
    await accepted(other.client);
  });

  it('refuses unknown and malformed refresh tokens alike', async () => {
    for (const refreshToken of ['x'.repeat(43), 'short', '']) {
      (await t.anonymous.execute(RefreshSessionDocument, { refreshToken })).expectError('UNAUTHENTICATED');
    }
  });
});

describe('logout and session lists', () => {
  it('logout ends this session only; logoutEverywhere ends the rest', async () => {
    const { login } = await account('USER');
    const [one, two, three] = [await login(), await login(), await login()];
    expect((await one.client.execute(LogoutDocument)).expectData().logout).toBe(true);
    await refused(one.client);
    (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: one.refreshToken })).expectError('UNAUTHENTICATED');
    await accepted(two.client);
    expect((await two.client.execute(LogoutEverywhereDocument)).expectData().logoutEverywhere).toBe(2);
    await refused(two.client);
    await refused(three.client);
  });

  it('mySessions and userSessions list live sessions without secrets; userSessions is ADMIN only', async () => {
    const { user, login } = await account('USER');
    const [one, two] = [await login(), await login()];
    const mine = (await two.client.execute(MySessionsDocument)).expectData().mySessions;
    expect(mine.map((s) => s.id).sort()).toEqual([one.sessionId, two.sessionId].sort());
    expect(mine.find((s) => s.current)?.id).toBe(two.sessionId);
    expect(mine[0]).toMatchObject({ userId: user.id, ip: expect.any(String) as string, userAgent: expect.any(String) as string });
    expect(JSON.stringify(mine)).not.toContain(one.refreshToken);
    const listed = (await t.admin.execute(UserSessionsDocument, { userId: user.id })).expectData().userSessions;
    expect(listed.map((s) => s.id).sort()).toEqual([one.sessionId, two.sessionId].sort());
    (await one.client.execute(UserSessionsDocument, { userId: user.id })).expectError('FORBIDDEN');
    (await one.client.execute(RevokeUserSessionsDocument, { userId: user.id })).expectError('FORBIDDEN');
  });
});

describe('open subscriptions', () => {
  it('close with 4401 when the account is suspended', async () => {
    const { user, login } = await account('VIEWER');
    const ws = wsClient(t.wsUrl, (await login()).accessToken);
    sockets.push(ws);
    const sub = await liveSubscription(ws);
    const created = await createUser(t.admin);
    await sub.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id));
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'test' })).expectData();
    const closed = await ws.closed;
    expect(closed.code).toBe(4401);
  });

  it('close with 4403 when the role may no longer subscribe', async () => {
    const { user, login } = await account('VIEWER');
    const ws = wsClient(t.wsUrl, (await login()).accessToken);
    sockets.push(ws);
    const sub = await liveSubscription(ws);
    const created = await createUser(t.admin);
    await sub.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id));
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { role: 'USER' } })).expectData();
    expect((await ws.closed).code).toBe(4403);
  });

  it('refuse a connection whose session has ended', async () => {
    const { login } = await account('VIEWER');
    const session = await login();
    (await session.client.execute(LogoutDocument)).expectData();
    const ws = wsClient(t.wsUrl, session.accessToken);
    sockets.push(ws);
    expect((await ws.closed).code).toBe(4401);
  });
});
