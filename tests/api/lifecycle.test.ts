// Lifecycle mutations: activate, deactivate, suspend (with an end), unsuspend, restore; the
// derived status; who may log in; and the events each records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivateUserDocument,
  CreateUserDocument,
  DeactivateUserDocument,
  DeleteUserDocument,
  LifecycleUserDocument,
  OnUserEventsDocument,
  RestoreUserDocument,
  SuspendUserDocument,
  UnsuspendUserDocument,
  UpdateMeDocument,
  UpdateUserDocument,
  UserEventLogDocument,
  UsersByStatusDocument,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type WsClient } from '../testkit/subscriptions.js';

let t: TestApp;
let ws: WsClient;
beforeAll(async () => {
  t = await startTestApp();
  ws = wsClient(t.wsUrl, t.admin.token);
});
afterAll(async () => {
  await ws?.dispose();
  await t?.stop();
});

async function eventTypes(userId: string): Promise<string[]> {
  const log = (await t.admin.execute(UserEventLogDocument, { userId })).expectData().userEventLog;
  return log.edges.map((e) => e.node.type);
}

async function canLogIn(email: string, password: string): Promise<boolean> {
  const result = await t.anonymous.execute<{ login: { accessToken: string } }>(
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: email, p: password },
  );
  return !result.body.errors;
}

describe('activate and deactivate', () => {
  it('deactivating stops login; activating allows it again; each records its event once', async () => {
    const password = 'lifecycle-pw-1';
    const user = await createUser(t.admin, { password });
    const off = (await t.admin.execute(DeactivateUserDocument, { id: user.id })).expectData().deactivateUser;
    expect(off).toMatchObject({ isActive: false, status: 'INACTIVE', version: 2 });
    expect(await canLogIn(user.email, password)).toBe(false);
    // Idempotent: no change, no second event.
    expect((await t.admin.execute(DeactivateUserDocument, { id: user.id })).expectData().deactivateUser.version).toBe(2);
    const on = (await t.admin.execute(ActivateUserDocument, { id: user.id })).expectData().activateUser;
    expect(on).toMatchObject({ isActive: true, status: 'ACTIVE', version: 3 });
    expect(await canLogIn(user.email, password)).toBe(true);
    expect(await eventTypes(user.id)).toEqual(['USER_CREATED', 'USER_DEACTIVATED', 'USER_ACTIVATED']);
  });

  it('updateUser(isActive) records UserUpdated plus UserDeactivated/UserActivated', async () => {
    const user = await createUser(t.admin);
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { isActive: false } })).expectData();
    expect(await eventTypes(user.id)).toEqual(['USER_CREATED', 'USER_UPDATED', 'USER_DEACTIVATED']);
  });

  it('a deactivated user cannot be updated or suspended (USER_MANAGEMENT_USER_INACTIVE, 422) unless the update reactivates it', async () => {
    const user = await createUser(t.admin, { isActive: false });
    const update = (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'x' } })).expectError('USER_MANAGEMENT_USER_INACTIVE');
    expect(update.extensions?.status).toBe(422);
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'abuse' })).expectError('USER_MANAGEMENT_USER_INACTIVE');
    const reactivated = (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'x', isActive: true } })).expectData().updateUser;
    expect(reactivated).toMatchObject({ name: 'x', isActive: true });
  });

  it('a user whose account was deactivated cannot change their profile with a token issued before', async () => {
    const { client, user } = await clientFor(t.admin, 'USER');
    (await t.admin.execute(DeactivateUserDocument, { id: user.id })).expectData();
    // The token dies with the account (issue 12), before the service's own inactive check.
    (await client.execute(UpdateMeDocument, { input: { name: 'still here' } })).expectError('UNAUTHENTICATED');
  });

  it('refuses an admin deactivating, suspending or deleting themselves, and non-admins', async () => {
    const { client, user } = await clientFor(t.admin, 'ADMIN');
    (await client.execute(DeactivateUserDocument, { id: user.id })).expectError('FORBIDDEN');
    (await client.execute(SuspendUserDocument, { id: user.id, reason: 'x' })).expectError('FORBIDDEN');
    const { client: viewer } = await clientFor(t.admin, 'VIEWER');
    const other = await createUser(t.admin);
    (await viewer.execute(SuspendUserDocument, { id: other.id, reason: 'x' })).expectError('FORBIDDEN');
    (await viewer.execute(ActivateUserDocument, { id: other.id })).expectError('FORBIDDEN');
    (await t.admin.execute(ActivateUserDocument, { id: '00000000-0000-4000-8000-000000000000' })).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
    (await t.admin.execute(ActivateUserDocument, { id: 'nope' })).expectError('BAD_USER_INPUT');
  });
});

describe('suspend and unsuspend', () => {
  it('suspends with a reason: status SUSPENDED, no login, filterable; unsuspend restores it', async () => {
    const password = 'lifecycle-pw-2';
    const user = await createUser(t.admin, { password });
    const suspended = (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: '  chargeback  ' })).expectData().suspendUser;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'chargeback', suspendedUntil: null, isActive: true });
    expect(suspended.suspendedAt).toBeTruthy();
    expect(await canLogIn(user.email, password)).toBe(false);
    const bySuspended = (await t.admin.execute(UsersByStatusDocument, { ids: [user.id], status: ['SUSPENDED'] })).expectData().users;
    expect(bySuspended.edges.map((e) => e.node.id)).toEqual([user.id]);
    const byActive = (await t.admin.execute(UsersByStatusDocument, { ids: [user.id], status: ['ACTIVE'] })).expectData().users;
    expect(byActive.edges).toEqual([]);

    const back = (await t.admin.execute(UnsuspendUserDocument, { id: user.id })).expectData().unsuspendUser;
    expect(back).toMatchObject({ status: 'ACTIVE', suspendedAt: null, suspendedUntil: null, suspensionReason: null });
    expect(await canLogIn(user.email, password)).toBe(true);
    expect(await eventTypes(user.id)).toEqual(['USER_CREATED', 'USER_SUSPENDED', 'USER_UNSUSPENDED']);
  });

  it('validates reason and until', async () => {
    const user = await createUser(t.admin);
    const empty = (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: '   ' })).expectError('BAD_USER_INPUT');
    expect(empty.extensions?.fields?.[0]?.field).toBe('reason');
    (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'x'.repeat(501) })).expectError('BAD_USER_INPUT');
    const past = (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'x', until: new Date(Date.now() - 1000).toISOString() })).expectError('BAD_USER_INPUT');
    expect(past.extensions?.fields?.[0]?.field).toBe('until');
  });

  it('a suspension with until ends by itself at that time and records UserUnsuspended (expired)', async () => {
    const password = 'lifecycle-pw-3';
    const user = await createUser(t.admin, { password });
    const sub = subscribe(ws, OnUserEventsDocument, { userId: user.id, types: ['USER_SUSPENDED', 'USER_UNSUSPENDED'], after: '0' });
    const until = new Date(Date.now() + 1_500);
    const suspended = (await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'cool-off', until: until.toISOString() })).expectData().suspendUser;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', suspendedUntil: until.toISOString() });
    expect(await canLogIn(user.email, password)).toBe(false);

    const [, ended] = await sub.waitFor(2, 6_000);
    expect(ended?.userEvents).toMatchObject({ __typename: 'UserUnsuspended', userId: user.id, expired: true, unsuspendedBy: null });
    expect(Date.parse(ended!.userEvents.occurredAt)).toBeGreaterThanOrEqual(until.getTime());
    expect(Date.parse(ended!.userEvents.occurredAt)).toBeLessThan(until.getTime() + 1_500);
    const after = (await t.admin.execute(LifecycleUserDocument, { id: user.id })).expectData().user;
    expect(after).toMatchObject({ status: 'ACTIVE', suspendedAt: null, suspendedUntil: null, suspensionReason: null });
    expect(await canLogIn(user.email, password)).toBe(true);
    await sub.expectNoMore(2, 300);
    sub.stop();
  });
});

describe('restore', () => {
  it('undoes a soft delete and records UserRestored', async () => {
    const user = await createUser(t.admin);
    (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectData();
    const restored = (await t.admin.execute(RestoreUserDocument, { id: user.id })).expectData().restoreUser;
    expect(restored).toMatchObject({ id: user.id, status: 'ACTIVE', deletedAt: null });
    expect(await eventTypes(user.id)).toEqual(['USER_CREATED', 'USER_DELETED', 'USER_RESTORED']);
    // Not deleted: nothing to undo, no event.
    (await t.admin.execute(RestoreUserDocument, { id: user.id })).expectData();
    expect(await eventTypes(user.id)).toHaveLength(3);
  });

  it('fails with USER_MANAGEMENT_USER_ALREADY_EXISTS when a live user took the email meanwhile', async () => {
    const user = await createUser(t.admin);
    (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectData();
    (await t.admin.execute(CreateUserDocument, { input: { email: user.email } })).expectData();
    const error = (await t.admin.execute(RestoreUserDocument, { id: user.id })).expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS');
    expect(error.extensions?.status).toBe(409);
    const still = (await t.admin.execute(UsersByStatusDocument, { ids: [user.id], status: ['DELETED'] })).expectData().users;
    expect(still.edges.map((e) => e.node.id)).toEqual([user.id]);
    expect(await eventTypes(user.id)).toEqual(['USER_CREATED', 'USER_DELETED']);
    (await t.admin.execute(RestoreUserDocument, { id: '00000000-0000-4000-8000-000000000001' })).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
  });
});

it('keeps the event stream consistent under concurrent lifecycle changes to one user', async () => {
  const user = await createUser(t.admin);
  const sub = subscribe(ws, OnUserEventsDocument, { userId: user.id, after: '0' });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => t.admin.execute(i % 2 ? ActivateUserDocument : DeactivateUserDocument, { id: user.id })),
  );
  const log = (await t.admin.execute(UserEventLogDocument, { userId: user.id, first: 100 })).expectData().userEventLog.edges;
  await eventually(() => sub.results.length >= log.length, 5_000, 'all events');
  expect(sub.results.map((r) => r.userEvents.sequence)).toEqual(log.map((e) => e.cursor));
  // Activations and deactivations alternate: each event is a real change.
  const kinds = log.slice(1).map((e) => e.node.type);
  kinds.forEach((kind, i) => i > 0 && expect(kind).not.toBe(kinds[i - 1]));
  sub.stop();
});
