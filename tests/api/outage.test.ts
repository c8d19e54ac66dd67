// A retryable outage says so (issue 9 item 5): when the database is unreachable, or a wait for
// a connection or a transaction times out, clients get SERVICE_UNAVAILABLE with
// extensions.retryAfter (and HTTP 503 with Retry-After when the whole request failed), not a
// masked INTERNAL_SERVER_ERROR, so they know that retrying later will work.
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { clientErrorOf, RETRY_AFTER_SECONDS } from '../../src/errors.js';
import {
  CreateUserDocument,
  ExportUsersDocument,
  LoginDocument,
  OnUserEventsDocument,
  SuspendUserDocument,
  UserDocument,
  UsersWithCountDocument,
} from '../generated/graphql.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, databaseUrl, startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLResult } from '../testkit/graphql.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { eventually, subscribe, wsClient } from '../testkit/subscriptions.js';

function expectRetryable(result: GraphQLResult<unknown>, what: string): void {
  const error = result.expectError('SERVICE_UNAVAILABLE');
  expect(error.extensions, what).toMatchObject({ status: 503, retryAfter: RETRY_AFTER_SECONDS });
  expect(result.status, what).toBe(503);
  expect(JSON.stringify(result.body), what).not.toMatch(/prisma|postgres|ECONN|SELECT|INSERT/i);
}

// The embedded database (PGlite) runs inside this process: it cannot become unreachable the way
// a server can. What it shares with PostgreSQL, a transaction wait that times out, is covered
// by the next describe block on both databases.
describe.skipIf(!databaseUrl())(
  'the PostgreSQL database goes away and comes back (PostgreSQL only: PGlite lives in the process and cannot go away)',
  () => {
    let t: TestApp;
    let admin: pg.Client;
    let name: string;
    const logs: string[] = [];

    beforeAll(async () => {
      t = await startTestApp({
        isolated: true,
        env: { DATABASE_POOL_SIZE: '3' },
        log: { level: 'info', write: (line) => logs.push(line) },
      });
      name = new URL(t.app.config.database.url!).pathname.slice(1);
      admin = new pg.Client({ connectionString: databaseUrl() });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin?.end();
      await t?.stop();
    });

    it('answers SERVICE_UNAVAILABLE with retryAfter (HTTP 503) while it is gone, /readyz says 503, and serves again once it is back', async () => {
      const user = await createUser(t.admin);
      const link = (await t.admin.execute(ExportUsersDocument, { format: 'CSV' })).expectData().exportUsers.url;
      const token = t.admin.token;

      // Gone: no new connections, and the open ones are cut (as a restart or failover does).
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        name,
      ]);
      // The pool's idle connections die with them: logged as a warning, not an unhandled 'error'
      // event (which would end the process).
      await eventually(() => logs.some((line) => line.includes('an idle database connection failed')), 10_000, 'the pool to notice');

      expectRetryable(await t.admin.execute(UserDocument, { id: user.id }), 'user(id)');
      expectRetryable(await t.admin.execute(UsersWithCountDocument, { first: 5 }), 'users');
      expectRetryable(await t.admin.execute(CreateUserDocument, { input: { email: uniqueEmail('outage') } }), 'createUser');
      expectRetryable(await t.admin.execute(SuspendUserDocument, { id: user.id, reason: 'outage' }), 'suspendUser');
      expectRetryable(await t.anonymous.execute(LoginDocument, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }), 'login');
      expectRetryable(await t.admin.execute(ExportUsersDocument, { format: 'CSV' }), 'exportUsers');

      const raw = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(raw.status).toBe(503);
      expect(raw.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));

      const download = await fetch(link);
      expect(download.status).toBe(503);
      expect(download.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(await download.json()).toMatchObject({
        errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS } }],
      });

      const ready = await fetch(t.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));

      // A subscription that replays the log is told too, instead of completing silently.
      const ws = wsClient(t.wsUrl, t.admin.token);
      try {
        const replay = subscribe(ws, OnUserEventsDocument, { after: '0' });
        await eventually(() => replay.errors.length > 0, 20_000, 'the replay error');
        const [error] = replay.errors.flat() as { extensions?: { code?: string; retryAfter?: number } }[];
        expect(error?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS });
      } finally {
        await ws.dispose();
      }

      // Background work meets the outage too: the outbox relay polls the table every second.
      await eventually(
        () => logs.some((line) => line.includes('outbox relay step failed')),
        10_000,
        'the relay to hit the outage',
      );

      // Back: the next requests succeed without a restart.
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await eventually(
        async () => (await fetch(t.url.replace('/graphql', '/readyz'))).status === 200,
        20_000,
        '/readyz to recover',
      );
      expect((await t.admin.execute(UserDocument, { id: user.id })).expectData().user?.id).toBe(user.id);
      (await t.admin.execute(CreateUserDocument, { input: { email: uniqueEmail('after-outage') } })).expectData();
      (await t.anonymous.execute(LoginDocument, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).expectData();

      // An outage is not a bug: warnings (requests, the outbox relay's polls), never errors.
      const levels = logs.map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(levels.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
      expect(levels.some((l) => l.level === 40 && l.msg === 'dependency unavailable')).toBe(true);
    }, 60_000);
  },
);

describe('waits that time out and unreachable dependencies are classified as outages', () => {
  let db: Database;
  beforeAll(async () => {
    // One connection on PostgreSQL (PGlite always has one): a held transaction makes the next wait.
    db = await openDatabase({ url: databaseUrl(), dataDir: 'memory://', poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a transaction that cannot start within maxWait is SERVICE_UNAVAILABLE', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        entered();
        await released;
      },
      { timeout: 10_000 },
    );
    await inside;
    const waited = await db.prisma
      .$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 200 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    release();
    await holder;
    expect(waited, 'the second transaction should have timed out').toBeInstanceOf(Error);
    expect(clientErrorOf(waited)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      details: { retryAfter: RETRY_AFTER_SECONDS },
    });
  });

  it('PostgreSQL refusing connections is SERVICE_UNAVAILABLE', async () => {
    // Port 1: nothing listens there.
    const gone = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/users', dataDir: 'unused', poolSize: 1 }).then(
      async (d) => {
        const error = await d.prisma.user.count().then(
          () => undefined,
          (e: unknown) => e,
        );
        await d.close().catch(() => undefined);
        return error;
      },
      (error: unknown) => error,
    );
    expect(clientErrorOf(gone)?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('Redis refusing connections is SERVICE_UNAVAILABLE', async () => {
    for (const options of [{ maxRetriesPerRequest: 0 }, { retryStrategy: () => null }, { enableOfflineQueue: false }]) {
      const redis = new Redis('redis://127.0.0.1:1', options);
      redis.on('error', () => undefined);
      const error = await redis.get('x').then(
        () => undefined,
        (e: unknown) => e,
      );
      redis.disconnect();
      expect(clientErrorOf(error)?.code, JSON.stringify(options)).toBe('SERVICE_UNAVAILABLE');
    }
  });

  it('a bug is still a bug: masked, not SERVICE_UNAVAILABLE', () => {
    expect(clientErrorOf(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
  });
});
