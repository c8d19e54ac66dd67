import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersWithCreatorsDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('createdBy / updatedBy through a per-request DataLoader', () => {
  it('costs one query for the creators of a whole page of 100 users', async () => {
    // Five different admins create 20 users each, so the page refers to five distinct creators.
    const admins = await Promise.all(Array.from({ length: 5 }, () => clientFor(t.admin, 'ADMIN')));
    const marker = `loader-${Date.now()}`;
    for (const { client } of admins) {
      for (let i = 0; i < 20; i++) await createUser(client, { lastName: marker });
    }

    // Background jobs (outbox relay poll, suspension expiry) would add their queries to the count.
    await t.app.services.stop();
    const db = t.app.services.db;
    const before = db.queryCount;
    const page = (await t.admin.execute(UsersWithCreatorsDocument, { first: 100, filter: { search: marker } })).expectData();
    const queries = db.queryCount - before;

    expect(page.users.edges).toHaveLength(100);
    const creators = new Set(page.users.edges.map((e) => e.node.createdBy?.id));
    expect(creators.size).toBe(5);
    expect(page.users.edges.every((e) => e.node.updatedBy?.id === e.node.createdBy?.id)).toBe(true);
    // One listing query + one batched lookup for all creators and updaters.
    expect(queries).toBe(2);
  });
});
