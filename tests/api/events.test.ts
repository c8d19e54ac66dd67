// Domain events: the outbox table (audit log), the log query, subscriptions over graphql-ws,
// replay-then-live without gap or duplicate, and WebSocket authentication.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MySessionsDocument,
  CreateUserDocument,
  OnUserCreatedDocument,
  OnUserDeletedDocument,
  OnUserEventsDocument,
  OnUserSuspendedDocument,
  OnUserUpdatedDocument,
  SuspendUserDocument,
  UpdateUserDocument,
  UserEventLogDocument,
  type UserEventFieldsFragment,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser, eventsAfter, firstEventOf, uniqueEmail } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type Subscription, type WsClient } from '../testkit/subscriptions.js';

let t: TestApp;
let ws: WsClient;
let adminToken: string;

beforeAll(async () => {
  t = await startTestApp();
  adminToken = t.admin.token!;
  ws = wsClient(t.wsUrl, adminToken);
});
afterAll(async () => {
  await ws?.dispose();
  await t?.stop();
});

/** Subscribes and waits until the server has attached the stream (so no event can slip past). */
async function live<T>(open: () => Subscription<T>): Promise<Subscription<T>> {
  const before = t.app.services.events.subscriberCount;
  const sub = open();
  await eventually(() => t.app.services.events.subscriberCount > before, 5_000, 'the subscription to start');
  return sub;
}

async function logFor(userId: string): Promise<UserEventFieldsFragment[]> {
  const page = (await t.admin.execute(UserEventLogDocument, { userId, first: 500 })).expectData().userEventLog;
  return page.edges.map((e) => e.node);
}

describe('events are recorded with the change', () => {
  it('createUser records UserCreated in the log with a sequence, occurredAt and the actor', async () => {
    const before = Date.now();
    const user = await createUser(t.admin);
    const [event, ...rest] = await logFor(user.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ __typename: 'UserCreated', type: 'USER_CREATED', userId: user.id, email: user.email });
    expect(event!.__typename === 'UserCreated' && event.createdBy).toBe((await t.admin.execute<{ me: { id: string } }>('{ me { id } }')).expectData().me.id);
    expect(BigInt(event!.sequence)).toBeGreaterThan(0n);
    expect(Date.parse(event!.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a change that fails records no event (same transaction)', async () => {
    const user = await createUser(t.admin);
    (await t.admin.execute(CreateUserDocument, { input: { email: user.email } })).expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS');
    // Events since (and including) this user's creation: the failed create must have added none.
    const since = String(BigInt(await firstEventOf(t.admin, user.id)) - 1n);
    const created = await eventsAfter(t.admin, since, ['USER_CREATED']);
    expect(created.filter((e) => e.__typename === 'UserCreated' && e.email === user.email)).toHaveLength(1);
  });

  it('UserUpdated lists each changed field with from and to, and never a password', async () => {
    const user = await createUser(t.admin, { name: 'Old Name', password: 'first-password' });
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'New Name', role: 'VIEWER', password: 'second-password' } })).expectData();
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { password: 'third-password' } })).expectData();
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'New Name' } })).expectData(); // no change: no event
    const updates = (await logFor(user.id)).filter((e) => e.__typename === 'UserUpdated');
    expect(updates).toHaveLength(2);
    const [first, second] = updates.map((e) => (e.__typename === 'UserUpdated' ? e : undefined));
    expect(first?.changes).toEqual([
      { field: 'name', from: 'Old Name', to: 'New Name' },
      { field: 'role', from: 'USER', to: 'VIEWER' },
    ]);
    expect(first?.passwordChanged).toBe(true);
    expect(second?.changes).toEqual([]);
    expect(second?.passwordChanged).toBe(true);
    const raw = JSON.stringify(updates);
    expect(raw).not.toMatch(/password-|\$2[aby]\$|passwordHash/);
  });

  it('userEventLog pages oldest first and filters by user and type; VIEWER may read it, USER may not', async () => {
    const user = await createUser(t.admin);
    for (const name of ['a', 'b', 'c']) (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name } })).expectData();
    const { client: viewer } = await clientFor(t.admin, 'VIEWER');
    const first = (await viewer.execute(UserEventLogDocument, { userId: user.id, first: 2 })).expectData().userEventLog;
    expect(first.edges.map((e) => e.node.type)).toEqual(['USER_CREATED', 'USER_UPDATED']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await viewer.execute(UserEventLogDocument, { userId: user.id, first: 2, after: first.pageInfo.endCursor })).expectData().userEventLog;
    expect(second.edges.map((e) => e.node.type)).toEqual(['USER_UPDATED', 'USER_UPDATED']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const sequences = [...first.edges, ...second.edges].map((e) => BigInt(e.cursor));
    expect([...sequences].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequences);
    const onlyUpdates = (await viewer.execute(UserEventLogDocument, { userId: user.id, types: ['USER_UPDATED'] })).expectData().userEventLog;
    expect(onlyUpdates.edges).toHaveLength(3);

    const { client: plain } = await clientFor(t.admin, 'USER');
    (await plain.execute(UserEventLogDocument, {})).expectError('FORBIDDEN');
    (await viewer.execute(UserEventLogDocument, { after: 'not-a-cursor' })).expectError('BAD_USER_INPUT');
    (await viewer.execute(UserEventLogDocument, { first: 501 })).expectError('BAD_USER_INPUT');
  });
});

describe('subscriptions', () => {
  it('userCreated reaches a subscriber exactly once, with the payload', async () => {
    const sub = await live(() => subscribe(ws, OnUserCreatedDocument));
    const email = uniqueEmail('sub');
    const created = (await t.admin.execute(CreateUserDocument, { input: { email } })).expectData().createUser;
    // This user's event: on a shared PostgreSQL database another file's user may come first.
    const event = (await sub.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id))).find((e) => e.userCreated.userId === created.id);
    // No late duplicate (e.g. from the relay's poll). Other test files may create users on a
    // shared PostgreSQL database meanwhile, so only this user's events are counted.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sub.results.filter((e) => e.userCreated.userId === created.id)).toHaveLength(1);
    expect(event?.userCreated).toMatchObject({ email, userId: created.id });
    sub.stop();
  });

  it('userUpdated(userId) only sees that user; userSuspended and userDeleted see theirs', async () => {
    const [a, b] = [await createUser(t.admin), await createUser(t.admin)];
    const onlyA = await live(() => subscribe(ws, OnUserUpdatedDocument, { userId: a.id }));
    const suspended = await live(() => subscribe(ws, OnUserSuspendedDocument));
    const deleted = await live(() => subscribe(ws, OnUserDeletedDocument));
    (await t.admin.execute(UpdateUserDocument, { id: b.id, input: { name: 'b changed' } })).expectData();
    (await t.admin.execute(UpdateUserDocument, { id: a.id, input: { name: 'a changed' } })).expectData();
    (await t.admin.execute(SuspendUserDocument, { id: b.id, reason: 'spam' })).expectData();
    await t.admin.execute(`mutation { deleteUser(id: "${a.id}") { id } }`);
    await onlyA.waitFor(1);
    expect(onlyA.results.map((r) => r.userUpdated.userId)).toEqual([a.id]);
    expect(onlyA.results[0]?.userUpdated.changes).toEqual([{ field: 'name', from: null, to: 'a changed' }]);
    const s = await suspended.waitUntil((r) => r.some((e) => e.userSuspended.userId === b.id));
    expect(s.find((e) => e.userSuspended.userId === b.id)?.userSuspended).toMatchObject({ reason: 'spam', until: null });
    await deleted.waitUntil((r) => r.some((e) => e.userDeleted.userId === a.id));
    await onlyA.expectNoMore(1, 300);
    for (const sub of [onlyA, suspended, deleted]) sub.stop();
  });

  it('userEvents(after) replays the log after the cursor, then continues live, with no gap and no duplicate', async () => {
    const user = await createUser(t.admin);
    const cursor = (await logFor(user.id))[0]!.sequence;
    // History after the cursor…
    for (let i = 0; i < 5; i++) (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: `before ${i}` } })).expectData();
    // …then writes racing with the subscription's replay.
    const sub = subscribe(ws, OnUserEventsDocument, { userId: user.id, after: cursor });
    for (let i = 0; i < 10; i++) (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: `during ${i}` } })).expectData();
    await sub.waitFor(15);
    for (let i = 0; i < 5; i++) (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: `after ${i}` } })).expectData();
    await sub.waitFor(20);
    await sub.expectNoMore(20, 1_500);
    const expected = (await logFor(user.id)).slice(1).map((e) => e.sequence);
    expect(sub.results.map((r) => r.userEvents.sequence)).toEqual(expected);
    expect(sub.results.map((r) => (r.userEvents.__typename === 'UserUpdated' ? r.userEvents.changes[0]?.to : undefined))).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `before ${i}`),
      ...Array.from({ length: 10 }, (_, i) => `during ${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after ${i}`),
    ]);
    sub.stop();
  });

  it('userEvents filters by type and rejects a bad cursor', async () => {
    const user = await createUser(t.admin);
    const sub = await live(() => subscribe(ws, OnUserEventsDocument, { userId: user.id, types: ['USER_SUSPENDED', 'USER_UNSUSPENDED'] }));
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'x' } })).expectData();
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'r' })).expectData();
    (await t.admin.execute(`mutation { unsuspendUser(id: "${user.id}") { id } }`)).expectData();
    await sub.waitFor(2);
    expect(sub.results.map((r) => r.userEvents.__typename)).toEqual(['UserSuspended', 'UserUnsuspended']);
    sub.stop();

    const bad = subscribe(ws, OnUserEventsDocument, { after: 'yesterday' });
    await eventually(() => bad.errors.length > 0, 5_000, 'an error for a bad cursor');
    expect(JSON.stringify(bad.errors)).toContain('"code":"BAD_USER_INPUT"');
  });

  it('an event committed without being published (a writer that died before publishing) is still delivered', async () => {
    const user = await createUser(t.admin);
    const sub = await live(() => subscribe(ws, OnUserEventsDocument, { userId: user.id }));
    // Write straight through the outbox and "forget" to report the commit, as a process killed
    // between COMMIT and publish would: only the relay's poll of the table can deliver it.
    await t.app.services.db.prisma.$transaction((tx) =>
      t.app.services.events.record(tx, { type: 'USER_DEACTIVATED', actor: 'crashed-writer', payload: { userId: user.id } }),
    );
    const [event] = await sub.waitFor(1, 8_000); // the relay's poll: 5 s on PGlite, 1 s on PostgreSQL
    expect(event?.userEvents).toMatchObject({ __typename: 'UserDeactivated', deactivatedBy: 'crashed-writer' });
    await sub.expectNoMore(1, 500);
    sub.stop();
  });
});

describe('WebSocket authentication', () => {
  it('closes with 4401 without a token or with a bad one, and 4403 for role USER', async () => {
    const none = wsClient(t.wsUrl, undefined);
    expect((await none.closed).code).toBe(4401);
    const bad = wsClient(t.wsUrl, 'not.a.jwt');
    expect((await bad.closed).code).toBe(4401);
    const { client } = await clientFor(t.admin, 'USER');
    const user = wsClient(t.wsUrl, client.token);
    expect((await user.closed).code).toBe(4403);
    await Promise.all([none.dispose(), bad.dispose(), user.dispose()]);
  });

  it('lets a VIEWER subscribe and closes the socket with 4401 when the token expires', async () => {
    const { user, client } = await clientFor(t.admin, 'VIEWER');
    // The login's own session, with a 3 s access token.
    const sessionId = (await client.execute(MySessionsDocument)).expectData().mySessions.find((s) => s.current)!.id;
    const { token, expiresAt } = await t.app.services.tokens.issue(user.id, ['VIEWER'], sessionId, { ttlSeconds: 3 });
    const viewer = wsClient(t.wsUrl, token);
    const sub = await live(() => subscribe(viewer, OnUserCreatedDocument));
    const created = await createUser(t.admin);
    await sub.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id));
    const { code, reason } = await viewer.closed;
    expect(code).toBe(4401);
    expect(reason).toBe('Token expired');
    expect(Math.abs(Date.now() - expiresAt.getTime())).toBeLessThan(1_000);
    await viewer.dispose();
  });
});
