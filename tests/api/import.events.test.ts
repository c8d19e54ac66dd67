// An import tells subscribers what it did with one UserBulkAction (action IMPORT) per committed
// chunk, not one event per row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserEventLogDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uploadCsv } from '../testkit/upload.js';

// Its own database: the assertions read the whole event log.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ isolated: true });
});
afterAll(async () => {
  await t?.stop();
});

describe('import events', () => {
  it('records one UserBulkAction IMPORT per committed chunk, listing the written users', async () => {
    const before = (await t.admin.execute(UserEventLogDocument, { types: ['USER_BULK_ACTION'], first: 100 })).expectData().userEventLog.edges.length;
    const tag = Date.now();
    const rows = Array.from({ length: 12_000 }, (_, i) => `bulk.${tag}.${i}@import-events.test,Person ${i}`);
    const result = await uploadCsv(t.admin, `email,name\n${rows.join('\n')}\n`, { options: { mode: 'INSERT' } });
    const imported = result.expectData().importUsers;
    expect(imported.status).toBe('SUCCEEDED');
    expect(imported.created).toBe(12_000);

    const log = (await t.admin.execute(UserEventLogDocument, { types: ['USER_BULK_ACTION'], first: 100 })).expectData().userEventLog.edges;
    const mine = log.slice(before).map((e) => e.node).filter((n) => n.__typename === 'UserBulkAction');
    // Chunks of 5,000 rows: 5,000 + 5,000 + 2,000.
    expect(mine.map((n) => (n.__typename === 'UserBulkAction' ? [n.action, n.userIds.length] : null))).toEqual([
      ['IMPORT', 5000],
      ['IMPORT', 5000],
      ['IMPORT', 2000],
    ]);
    const created = (await t.admin.execute(UserEventLogDocument, { types: ['USER_CREATED'], first: 100 })).expectData().userEventLog.edges;
    expect(created.filter((e) => e.node.__typename === 'UserCreated' && e.node.email.includes(`${tag}`))).toHaveLength(0);
  });

  it('a dry run records no event', async () => {
    const before = (await t.admin.execute(UserEventLogDocument, { types: ['USER_BULK_ACTION'], first: 100 })).expectData().userEventLog.edges.length;
    const result = await uploadCsv(t.admin, `email\ndry.${Date.now()}@import-events.test\n`, { options: { dryRun: true } });
    expect(result.expectData().importUsers.created).toBe(1);
    const after = (await t.admin.execute(UserEventLogDocument, { types: ['USER_BULK_ACTION'], first: 100 })).expectData().userEventLog.edges.length;
    expect(after).toBe(before);
  });
});
