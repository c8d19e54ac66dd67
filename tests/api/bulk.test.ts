// Bulk lifecycle mutations: per-id results, limits, set-based SQL, and their events.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BulkActivateUsersDocument,
  BulkDeactivateUsersDocument,
  BulkDeleteUsersDocument,
  BulkSuspendUsersDocument,
  LifecycleUserDocument,
  OnUserBulkActionDocument,
  OnUserSuspendedDocument,
  UserEventLogDocument,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser, eventsAfter, firstEventOf } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type WsClient } from '../testkit/subscriptions.js';

let t: TestApp;
let ws: WsClient;
let adminId: string;
beforeAll(async () => {
  t = await startTestApp();
  ws = wsClient(t.wsUrl, t.admin.token);
  adminId = (await t.admin.execute<{ me: { id: string } }>('{ me { id } }')).expectData().me.id;
});
afterAll(async () => {
  await ws?.dispose();
  await t?.stop();
});

const missing = () => randomUUID();

/** Inserts `n` users in one statement (seeding 1,000 users over HTTP would test nothing here). */
async function seedUsers(n: number): Promise<string[]> {
  const tag = randomUUID().slice(0, 8);
  const rows = await t.app.services.db.prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO users (id, email, updated_at)
    SELECT gen_random_uuid(), 'bulk.' || ${tag} || '.' || g || '@example.test', now() FROM generate_series(1, ${n}::int) g
    RETURNING id::text AS id`;
  return rows.map((r) => r.id);
}

describe('per-id results', () => {
  it('reports missing, malformed, repeated, deactivated and self ids per id, and suspends the rest', async () => {
    const [a, b] = [await createUser(t.admin), await createUser(t.admin)];
    const inactive = await createUser(t.admin, { isActive: false });
    const deleted = await createUser(t.admin);
    await t.admin.execute(`mutation { deleteUser(id: "${deleted.id}") { id } }`);
    const ghost = missing();
    const ids = [a.id, b.id.toUpperCase(), b.id, 'not-a-uuid', ghost, inactive.id, deleted.id, adminId];
    const result = (await t.admin.execute(BulkSuspendUsersDocument, { ids, reason: 'fraud ring' })).expectData().bulkSuspendUsers;
    expect(result.action).toBe('SUSPEND');
    expect(result.requested).toBe(7);
    expect(result.succeeded.sort()).toEqual([a.id, b.id].sort());
    const failed = Object.fromEntries(result.failed.map((f) => [f.id, f.code]));
    expect(failed).toEqual({
      'not-a-uuid': 'BAD_USER_INPUT',
      [ghost]: 'USER_MANAGEMENT_USER_NOT_FOUND',
      [inactive.id]: 'USER_MANAGEMENT_USER_INACTIVE',
      [deleted.id]: 'USER_MANAGEMENT_USER_NOT_FOUND',
      [adminId]: 'FORBIDDEN',
    });
    expect(result.requested).toBe(result.succeeded.length + result.failed.length);
    const after = (await t.admin.execute(LifecycleUserDocument, { id: b.id })).expectData().user;
    expect(after).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'fraud ring' });
    const untouched = (await t.admin.execute(LifecycleUserDocument, { id: inactive.id })).expectData().user;
    expect(untouched?.status).toBe('INACTIVE');
  });

  it('is idempotent: ids already in the state succeed without a change or an event', async () => {
    const users = [await createUser(t.admin), await createUser(t.admin, { isActive: false })];
    const result = (await t.admin.execute(BulkActivateUsersDocument, { ids: users.map((u) => u.id) })).expectData().bulkActivateUsers;
    expect(result.succeeded.sort()).toEqual(users.map((u) => u.id).sort());
    expect(result.failed).toEqual([]);
    const bulkEvents = await eventsAfter(t.admin, await firstEventOf(t.admin, users[0]!.id), ['USER_BULK_ACTION']);
    const mine = bulkEvents.filter((n) => n.__typename === 'UserBulkAction' && n.userIds.includes(users[1]!.id));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.__typename === 'UserBulkAction' && mine[0].userIds).toEqual([users[1]!.id]);
    const activeUserLog = (await t.admin.execute(UserEventLogDocument, { userId: users[0]!.id })).expectData().userEventLog.edges;
    expect(activeUserLog.map((e) => e.node.type)).toEqual(['USER_CREATED']);
  });

  it('deactivates and deletes in bulk; deleted ids are then not found', async () => {
    const users = [await createUser(t.admin), await createUser(t.admin)];
    const ids = users.map((u) => u.id);
    const off = (await t.admin.execute(BulkDeactivateUsersDocument, { ids })).expectData().bulkDeactivateUsers;
    expect(off.succeeded.sort()).toEqual([...ids].sort());
    const gone = (await t.admin.execute(BulkDeleteUsersDocument, { ids })).expectData().bulkDeleteUsers;
    expect(gone.succeeded.sort()).toEqual([...ids].sort());
    const again = (await t.admin.execute(BulkDeleteUsersDocument, { ids })).expectData().bulkDeleteUsers;
    expect(again.failed.map((f) => f.code)).toEqual(['USER_MANAGEMENT_USER_NOT_FOUND', 'USER_MANAGEMENT_USER_NOT_FOUND']);
    const log = (await t.admin.execute(UserEventLogDocument, { userId: ids[0] })).expectData().userEventLog.edges;
    expect(log.map((e) => e.node.type)).toEqual(['USER_CREATED', 'USER_DEACTIVATED', 'USER_DELETED']);
  });

  it('refuses more than 1,000 ids and non-admins', async () => {
    const ids = Array.from({ length: 1001 }, () => randomUUID());
    const error = (await t.admin.execute(BulkDeactivateUsersDocument, { ids })).expectError('BAD_USER_INPUT');
    expect(error.extensions?.fields?.[0]?.field).toBe('ids');
    const { client: viewer } = await clientFor(t.admin, 'VIEWER');
    (await viewer.execute(BulkDeleteUsersDocument, { ids: [randomUUID()] })).expectError('FORBIDDEN');
    const empty = (await t.admin.execute(BulkDeleteUsersDocument, { ids: [] })).expectData().bulkDeleteUsers;
    expect(empty).toMatchObject({ requested: 0, succeeded: [], failed: [] });
  });
});

describe('1,000 users', () => {
  it('suspends 1,000 users with a few statements, with one event per user plus one UserBulkAction in one transaction', async () => {
    const ids = await seedUsers(1000);
    const perUser = subscribe(ws, OnUserSuspendedDocument);
    const bulk = subscribe(ws, OnUserBulkActionDocument);
    await eventually(() => t.app.services.events.subscriberCount >= 2, 5_000, 'subscriptions');
    const queriesBefore = t.app.services.db.queryCount;
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const result = (await t.admin.execute(BulkSuspendUsersDocument, { ids, reason: 'bulk test', until })).expectData().bulkSuspendUsers;
    const statements = t.app.services.db.queryCount - queriesBefore;
    expect(result.succeeded).toHaveLength(1000);
    expect(result.failed).toEqual([]);
    // Set-based: lock, update, lock the outbox, insert events, read back, plus transaction control.
    expect(statements).toBeLessThan(15);

    const [bulkEvent] = await bulk.waitUntil((r) => r.some((e) => e.userBulkAction.userIds.length === 1000), 10_000);
    expect(bulkEvent?.userBulkAction).toMatchObject({ action: 'SUSPEND', performedBy: adminId });
    expect(new Set(bulkEvent?.userBulkAction.userIds)).toEqual(new Set(ids));
    await perUser.waitUntil((r) => r.filter((e) => ids.includes(e.userSuspended.userId)).length === 1000, 10_000);
    const mine = perUser.results.filter((e) => ids.includes(e.userSuspended.userId));
    expect(new Set(mine.map((e) => e.userSuspended.userId)).size).toBe(1000);
    expect(mine.every((e) => e.userSuspended.until === until && e.userSuspended.reason === 'bulk test')).toBe(true);
    // One transaction: the 1,001 events have consecutive sequence numbers, users first.
    const sequences = mine.map((e) => BigInt(e.userSuspended.sequence));
    const last = BigInt(bulkEvent!.userBulkAction.sequence);
    expect(sequences[0]! + 999n).toBe(sequences[999]);
    expect(last).toBe(sequences[999]! + 1n);
    perUser.stop();
    bulk.stop();
  });
});
