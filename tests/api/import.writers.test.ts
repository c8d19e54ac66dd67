// Chunks of one import are written concurrently on PostgreSQL (IMPORT_WRITERS, default 2) but
// must commit in file order: when a chunk fails to write, the chunk written beside it rolls back
// too, so "every row up to lastCommittedRow was written, nothing after it" stays exact. The
// failure is real: a trigger in this test's own database rejects one row of the third chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserByEmailDocument, UserEventLogDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';
import { csv, uploadCsv } from '../testkit/upload.js';

const CHUNK = 5_000; // tuning.import.chunkRows (src/config.ts)

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ isolated: true, env: { IMPORT_WRITERS: '3' } });
});
afterAll(async () => {
  await t?.stop();
});

describe('concurrent chunk writers', () => {
  it('a chunk that fails to write rolls back the chunks sent after it; the report is exact', async () => {
    const tag = uniqueEmail('writers').split('@')[0]!;
    const list = Array.from({ length: 4 * CHUNK + 7 }, (_, i) => `${tag}.${i}@example.test`);
    const poisoned = list[2 * CHUNK + 123]!; // in the third chunk
    const prisma = t.app.services.db.prisma;
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION reject_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.email = '${poisoned}' THEN RAISE EXCEPTION 'poisoned row'; END IF;
        RETURN NEW;
      END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER reject_poisoned BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION reject_poisoned()`);
    try {
      const result = (await uploadCsv(t.admin, csv([['email'], ...list.map((e) => [e])]))).expectData().importUsers;
      expect(result).toMatchObject({
        status: 'FAILED',
        failure: { code: 'IMPORT_WRITE_FAILED' },
        processedRows: 2 * CHUNK,
        created: 2 * CHUNK,
        lastCommittedRow: 2 * CHUNK + 1,
      });
      const find = async (email: string) => (await t.admin.execute(UserByEmailDocument, { email })).expectData().userByEmail;
      expect(await find(list[2 * CHUNK - 1]!)).not.toBeNull();
      // Neither the failed chunk nor the ones written beside it (chunks 4 and 5) kept a row.
      expect(await find(list[2 * CHUNK]!)).toBeNull();
      expect(await find(list[3 * CHUNK]!)).toBeNull();
      expect(await find(list[4 * CHUNK + 6]!)).toBeNull();
      const counted = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM users WHERE email LIKE '${tag}.%'`);
      expect(Number(counted[0]!.n)).toBe(2 * CHUNK);

      // One IMPORT event per committed chunk, in file order, and none for the rolled-back ones.
      const log = (await t.admin.execute(UserEventLogDocument, { types: ['USER_BULK_ACTION'], first: 20 })).expectData().userEventLog;
      const events = log.edges.map((e) => e.node).flatMap((n) => (n.__typename === 'UserBulkAction' ? [n] : []));
      expect(events.map((n) => [n.action, n.userIds.length])).toEqual([
        ['IMPORT', CHUNK],
        ['IMPORT', CHUNK],
      ]);
      expect(events[0]!.userIds).toContain((await find(list[0]!))!.id);
      expect(events[1]!.userIds).toContain((await find(list[CHUNK]!))!.id);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER reject_poisoned ON users');
      await prisma.$executeRawUnsafe('DROP FUNCTION reject_poisoned()');
    }
  });
});
