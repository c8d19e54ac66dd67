import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStatsDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor } from '../testkit/seed.js';

// Its own database: the figures are whole-table counts.
let t: TestApp;
const DAY = 86_400_000;
const now = Date.now();
const at = (daysAgo: number) => new Date(now - daysAgo * DAY);

beforeAll(async () => {
  t = await startTestApp({ isolated: true });
  const row = (over: Record<string, unknown>) => ({ id: randomUUID(), email: `${randomUUID()}@stats.test`, ...over });
  await t.app.services.db.prisma.user.createMany({
    data: [
      row({ role: 'VIEWER', isEmailVerified: true, createdAt: at(2), lastLoginAt: at(1) }),
      row({ role: 'VIEWER', createdAt: at(2) }),
      row({ isActive: false, createdAt: at(5), lastLoginAt: at(100) }),
      row({ createdAt: at(40), isEmailVerified: true }),
      row({ createdAt: at(3), deletedAt: at(1) }),
      row({ createdAt: at(400), deletedAt: at(300), role: 'ADMIN' }),
      row({ createdAt: at(10), suspendedAt: at(1), suspendedUntil: new Date(now + DAY) }),
      row({ createdAt: at(10), suspendedAt: at(9), suspendedUntil: at(8) }), // suspension over: active
    ],
  });
});
afterAll(async () => {
  await t?.stop();
});

describe('userStats', () => {
  it('counts by status, verification and role over live users, and signups per UTC day', async () => {
    const stats = (await t.admin.execute(UserStatsDocument)).expectData().userStats;
    // Live: the bootstrap admin + 6 seeded live rows.
    expect(stats.total).toBe(7);
    expect(stats.deleted).toBe(2);
    expect(stats.inactive).toBe(1);
    expect(stats.suspended).toBe(1);
    expect(stats.active).toBe(5);
    expect(stats.verified).toBe(3); // the bootstrap admin is verified
    expect(stats.unverified).toBe(4);
    expect(stats.byRole).toEqual([
      { role: 'ADMIN', count: 1 },
      { role: 'VIEWER', count: 2 },
      { role: 'USER', count: 4 },
    ]);
    // Default range: the last 30 days. Created in it: admin (now), 2 + 1 + 1 deleted + 2 suspended ones.
    expect(stats.createdInRange).toBe(7);
    // Logged in within 30 days: the admin (the test logged in) and the VIEWER.
    expect(stats.loggedInInRange).toBe(2);
    expect(stats.signupsByDay).toHaveLength(31);
    expect(stats.signupsByDay.reduce((n, d) => n + d.count, 0)).toBe(7);
    const twoDaysAgo = at(2).toISOString().slice(0, 10);
    expect(stats.signupsByDay.find((d) => d.date === twoDaysAgo)?.count).toBe(2);
  });

  it('takes an explicit range and refuses an inverted one', async () => {
    const stats = (await t.admin.execute(UserStatsDocument, { from: at(500).toISOString(), to: at(35).toISOString() })).expectData().userStats;
    expect(stats.createdInRange).toBe(2);
    (await t.admin.execute(UserStatsDocument, { from: at(1).toISOString(), to: at(2).toISOString() })).expectError('BAD_USER_INPUT');
  });

  it('is open to VIEWER, not to USER', async () => {
    const viewer = await clientFor(t.admin, 'VIEWER');
    (await viewer.client.execute(UserStatsDocument)).expectData();
    const user = await clientFor(t.admin, 'USER');
    (await user.client.execute(UserStatsDocument)).expectError('FORBIDDEN');
  });
});
