// DELETED_USER_RETENTION_DAYS: users soft-deleted longer ago than the period are erased by the
// job; live users, users deleted more recently and everyone when it is unset are left alone.
// Its own database: a retention of 0 days would erase other test files' deleted users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, startTestApp, type TestApp } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ isolated: true, env: { DELETED_USER_RETENTION_DAYS: '0', USER_EVENTS_RETENTION_DAYS: '7' } });
});
afterAll(async () => {
  await t?.stop();
});

async function user(): Promise<string> {
  const r = await t.admin.execute<{ createUser: { id: string } }>(
    'mutation($e: String!) { createUser(input: { email: $e, name: "Keep Or Erase" }) { id } }',
    {
      e: uniqueEmail('retention'),
    },
  );
  return r.expectData().createUser.id;
}

async function statusOf(id: string): Promise<{ status: string; email: string }> {
  const r = await t.admin.execute<{ users: { edges: { node: { status: string; email: string } }[] } }>(
    'query($ids: [ID!]) { users(first: 1, filter: { ids: $ids, deleted: INCLUDE }) { edges { node { status email } } } }',
    { ids: [id] },
  );
  return r.expectData().users.edges[0]!.node;
}

describe('deleted user retention', () => {
  it('with 0 days, erases soft-deleted users (in batches), leaves live ones, and records USER_ERASED', async () => {
    const live = await user();
    const deleted = await Promise.all(Array.from({ length: 3 }, () => user()));
    for (const id of deleted) (await t.admin.execute('mutation($id: ID!) { deleteUser(id: $id) { id } }', { id })).expectData();

    const counted = async () => Number(/^retention_users_erased_total (\d+)$/m.exec(await t.app.services.metrics.text())?.[1]);
    const before = await counted();
    const erased = await t.app.services.retention.runOnce();
    expect(erased).toBe(3);
    // The metric counts them too.
    expect((await counted()) - before).toBe(3);
    for (const id of deleted) expect(await statusOf(id)).toEqual({ status: 'ERASED', email: `erased+${id}@invalid` });
    expect((await statusOf(live)).status).toBe('ACTIVE');
    const log = await t.admin.execute<{ userEventLog: { edges: { node: { reason: string; erasedBy: string | null } }[] } }>(
      'query($id: ID!) { userEventLog(userId: $id, types: [USER_ERASED], first: 5) { edges { node { ... on UserErased { reason erasedBy } } } } }',
      { id: deleted[0] },
    );
    expect(log.expectData().userEventLog.edges.map((e) => e.node.reason)).toEqual(['retention: deleted more than 0 days ago']);
    // Nothing left to do: a second run erases nobody.
    expect(await t.app.services.retention.runOnce()).toBe(0);
  });

  // PGlite has one connection and one process: there is no other instance to hold the lock.
  it.skipIf(!databaseUrl())('skips its turn while another instance holds the lock', async () => {
    const id = await user();
    (await t.admin.execute('mutation($id: ID!) { deleteUser(id: $id) { id } }', { id })).expectData();
    // Another "instance": a transaction holding the job's advisory lock until released.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const other = t.app.services.db.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${0x75_72_65_74})`);
        locked();
        await held;
      },
      { timeout: 20_000 },
    );
    await lockTaken;
    expect(await t.app.services.retention.runOnce()).toBe(0);
    expect((await statusOf(id)).status).toBe('DELETED');
    release();
    await other;
    expect(await t.app.services.retention.runOnce()).toBe(1);
    expect((await statusOf(id)).status).toBe('ERASED');
  });

  it('prunes events older than USER_EVENTS_RETENTION_DAYS once the outbox relay has passed them, and keeps newer ones', async () => {
    const old = await user();
    const recent = await user();
    const prisma = t.app.services.db.prisma;
    const { last } = (await prisma.$queryRaw<{ last: bigint }[]>`SELECT max(sequence) AS last FROM user_events`)[0]!;
    // The relay saves its position on its poll ticks: wait until it has passed these events.
    for (let i = 0; i < 100; i++) {
      const rows = await prisma.$queryRaw<
        { relayed: bigint | null }[]
      >`SELECT min(last_sequence) AS relayed FROM user_event_relay`;
      const relayed = rows[0]?.relayed ?? null;
      if (relayed !== null && relayed >= last) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await prisma.$executeRaw`UPDATE user_events SET occurred_at = now() - interval '8 days' WHERE user_id = ${old}::uuid`;

    expect(await t.app.services.retention.pruneEvents()).toBeGreaterThanOrEqual(1);
    const count = async (id: string) =>
      (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM user_events WHERE user_id = ${id}::uuid`)[0]!.n;
    expect(await count(old)).toBe(0);
    expect(await count(recent)).toBe(1);
  });

  it('keeps the events an enabled webhook endpoint has not received yet; a disabled one holds nothing back', async () => {
    const prisma = t.app.services.db.prisma;
    const webhooks = t.app.services.webhooks;
    // Nothing answers at this address here: the endpoint stays behind, like a receiver that is down.
    const { webhook } = await webhooks.create(SYSTEM_PRINCIPAL, { url: 'https://93.184.215.14/retention', eventTypes: ['USER_CREATED'] });
    const held = await user();
    const { last } = (await prisma.$queryRaw<{ last: bigint }[]>`SELECT max(sequence) AS last FROM user_events`)[0]!;
    for (let i = 0; i < 100; i++) {
      const rows = await prisma.$queryRaw<{ relayed: bigint | null }[]>`SELECT min(last_sequence) AS relayed FROM user_event_relay`;
      if ((rows[0]?.relayed ?? -1n) >= last) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await prisma.$executeRaw`UPDATE user_events SET occurred_at = now() - interval '8 days' WHERE user_id = ${held}::uuid`;
    const count = async () => (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM user_events WHERE user_id = ${held}::uuid`)[0]!.n;

    await t.app.services.retention.pruneEvents();
    expect(await count()).toBe(1);

    await webhooks.update(SYSTEM_PRINCIPAL, webhook.id, { enabled: false });
    await t.app.services.retention.pruneEvents();
    expect(await count()).toBe(0);
  });
});
