// Login throttling and lockout (issue 12): per email after LOGIN_MAX_FAILURES consecutive failures
// (known account or not), with a wait that doubles; a lock on the account (lockedUntil,
// USER_LOCKED, its sessions end) that unlockUser clears; a ceiling per client IP. Each app has a
// database of its own: the counters live there (no REDIS_URL) and must start empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LockedUntilDocument,
  LoginHistoryDocument,
  RefreshSessionDocument,
  UserLoginHistoryDocument,
  LoginWithRefreshDocument,
  MeDocument,
  UnlockUserDocument,
  UserEventLogDocument,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { eventually } from '../testkit/subscriptions.js';

async function attempt(t: TestApp, email: string, password: string) {
  return t.anonymous.execute(LoginWithRefreshDocument, { email, password });
}

/** The code of each attempt, in order. */
async function codes(t: TestApp, email: string, password: string, n: number): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const result = await attempt(t, email, password);
    out.push(result.body.errors?.[0]?.extensions?.code);
  }
  return out;
}

const FIVE_UNAUTHENTICATED = Array<string>(5).fill('UNAUTHENTICATED');
const FIVE_THROTTLED = Array<string>(5).fill('TOO_MANY_REQUESTS');

describe('per account, with the defaults (5 failures, 30 s doubling up to 15 min)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ isolated: true });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('ten wrong passwords: five UNAUTHENTICATED, then TOO_MANY_REQUESTS with retryAfter, even for the right password', async () => {
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password, role: 'VIEWER' });
    const before = (await attempt(t, user.email, password)).expectData().login;
    const token = t.anonymous.withToken(before.accessToken);
    expect(await codes(t, user.email, 'wrong-password-1', 10)).toEqual([...FIVE_UNAUTHENTICATED, ...FIVE_THROTTLED]);
    const refused = await attempt(t, user.email, password);
    const error = refused.expectError('TOO_MANY_REQUESTS');
    expect(error.extensions?.status).toBe(429);
    expect(error.extensions?.retryAfter).toBeGreaterThan(0);
    expect(error.extensions?.retryAfter).toBeLessThanOrEqual(30);
    // The lock is on the account too, and ends its sessions.
    await eventually(async () => (await t.admin.execute(LockedUntilDocument, { id: user.id })).expectData().user?.lockedUntil != null, 5_000, 'lockedUntil');
    const lockedUntil = (await t.admin.execute(LockedUntilDocument, { id: user.id })).expectData().user!.lockedUntil!;
    expect(Date.parse(lockedUntil)).toBeGreaterThan(Date.now());
    (await token.execute(MeDocument)).expectError('UNAUTHENTICATED');
    const events = (await t.admin.execute(UserEventLogDocument, { userId: user.id, types: ['USER_LOCKED', 'USER_SESSIONS_REVOKED'] })).expectData().userEventLog.edges.map((e) => e.node);
    expect(events.map((e) => e.type)).toEqual(['USER_LOCKED', 'USER_SESSIONS_REVOKED']);
    expect(events[0]).toMatchObject({ __typename: 'UserLocked', userId: user.id, lockedBy: null });
  });

  it('the login history shows every attempt with its reason; loginHistory finds failures across accounts', async () => {
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password });
    const session = (await attempt(t, user.email, password)).expectData().login;
    (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: session.refreshToken })).expectData();
    (await t.anonymous.execute(RefreshSessionDocument, { refreshToken: session.refreshToken })).expectError('UNAUTHENTICATED');
    await codes(t, user.email, 'wrong-password-1', 6);
    const page = (await t.admin.execute(UserLoginHistoryDocument, { userId: user.id, first: 100 })).expectData().userLoginHistory;
    const seen = page.nodes.map((a) => `${a.kind} ${a.outcome} ${a.reason ?? '-'}`).reverse();
    expect(seen).toEqual([
      'LOGIN SUCCESS -',
      'REFRESH SUCCESS -',
      'REFRESH FAILURE REFRESH_TOKEN_REUSED',
      ...Array<string>(5).fill('LOGIN FAILURE WRONG_PASSWORD'),
    ]);
    expect(page.nodes[page.nodes.length - 1]).toMatchObject({ email: user.email, userId: user.id, sessionId: session.sessionId, ip: expect.any(String) as string });
    // The sixth attempt was refused before the account was looked up: found by email instead.
    const ghost = uniqueEmail('ghost');
    await codes(t, ghost, 'wrong-password-1', 1);
    const failures = (await t.admin.execute(LoginHistoryDocument, { filter: { email: user.email.toUpperCase() } })).expectData().loginHistory.nodes;
    expect(failures.map((a) => a.reason)).toEqual(['LOCKED', ...Array<string>(5).fill('WRONG_PASSWORD')]);
    const unknown = (await t.admin.execute(LoginHistoryDocument, { filter: { email: ghost } })).expectData().loginHistory.nodes;
    expect(unknown).toMatchObject([{ outcome: 'FAILURE', reason: 'UNKNOWN', userId: null }]);
    // Pages: first 2, then the rest after the cursor, no overlap.
    const first = (await t.admin.execute(UserLoginHistoryDocument, { userId: user.id, first: 2 })).expectData().userLoginHistory;
    expect(first.hasNextPage).toBe(true);
    const rest = (await t.admin.execute(UserLoginHistoryDocument, { userId: user.id, first: 100, after: first.endCursor })).expectData().userLoginHistory;
    expect([...first.nodes, ...rest.nodes].map((a) => a.id)).toEqual(page.nodes.map((a) => a.id));
  });

  it('an unknown email is throttled exactly like a known one', async () => {
    expect(await codes(t, uniqueEmail('ghost'), 'wrong-password-1', 10)).toEqual([...FIVE_UNAUTHENTICATED, ...FIVE_THROTTLED]);
  });

  it('unlockUser clears the lock and the count; the right password then works', async () => {
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password });
    await codes(t, user.email, 'wrong-password-1', 5);
    await eventually(async () => (await t.admin.execute(LockedUntilDocument, { id: user.id })).expectData().user?.lockedUntil != null, 5_000, 'lockedUntil');
    const unlocked = (await t.admin.execute(UnlockUserDocument, { id: user.id })).expectData().unlockUser;
    expect(unlocked.lockedUntil).toBeNull();
    (await attempt(t, user.email, password)).expectData();
    const types = (await t.admin.execute(UserEventLogDocument, { userId: user.id, types: ['USER_LOCKED', 'USER_UNLOCKED'] })).expectData().userEventLog.edges.map((e) => e.node.type);
    expect(types).toEqual(['USER_LOCKED', 'USER_UNLOCKED']);
  });

  it('a success resets the count', async () => {
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password });
    await codes(t, user.email, 'wrong-password-1', 4);
    (await attempt(t, user.email, password)).expectData();
    expect(await codes(t, user.email, 'wrong-password-1', 4)).toEqual(Array<string>(4).fill('UNAUTHENTICATED'));
    (await attempt(t, user.email, password)).expectData();
  });

  it('only ADMIN may unlock', async () => {
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password, role: 'VIEWER' });
    const viewer = t.anonymous.withToken((await attempt(t, user.email, password)).expectData().login.accessToken);
    (await viewer.execute(UnlockUserDocument, { id: user.id })).expectError('FORBIDDEN');
  });
});

describe('the wait doubles, and the per-IP ceiling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ isolated: true, env: { LOGIN_LOCKOUT_BASE: '1s', LOGIN_IP_MAX_FAILURES: '12' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a failure after the lock ends locks again for twice as long', async () => {
    const email = uniqueEmail('doubling');
    expect(await codes(t, email, 'wrong-password-1', 6)).toEqual([...FIVE_UNAUTHENTICATED, 'TOO_MANY_REQUESTS']);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await codes(t, email, 'wrong-password-1', 1)).toEqual(['UNAUTHENTICATED']);
    const again = (await attempt(t, email, 'wrong-password-1')).expectError('TOO_MANY_REQUESTS');
    expect(again.extensions?.retryAfter).toBe(2);
  });

  it('after LOGIN_IP_MAX_FAILURES failures from one address, every login from it is refused', async () => {
    // 6 failures so far from 127.0.0.1 (the test above); 6 more on fresh emails reach 12.
    const password = 'the-right-password';
    const user = await createUser(t.admin, { password });
    expect(await codes(t, uniqueEmail('ip'), 'wrong-password-1', 3)).toEqual(Array<string>(3).fill('UNAUTHENTICATED'));
    expect(await codes(t, uniqueEmail('ip'), 'wrong-password-1', 3)).toEqual(Array<string>(3).fill('UNAUTHENTICATED'));
    const refused = (await attempt(t, user.email, password)).expectError('TOO_MANY_REQUESTS');
    expect(refused.message).toMatch(/this address/);
    expect(refused.extensions?.retryAfter).toBeGreaterThan(0);
  });
});

describe('with REDIS_URL the counters live in Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('throttles the same way', async () => {
    expect(await codes(t, uniqueEmail('redis'), 'wrong-password-1', 7)).toEqual([...FIVE_UNAUTHENTICATED, 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
  });
});
