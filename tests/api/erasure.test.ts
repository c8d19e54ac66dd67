// eraseUser (GDPR Art. 17) as an admin and an auditor see it: the row keeps no personal data,
// no table of the database holds the old email, names or other personal values anywhere, one
// USER_ERASED event says it happened, and nothing can undo it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, uniqueEmail } from '../testkit/seed.js';
import { uploadCsv } from '../testkit/upload.js';

let t: TestApp;
beforeAll(async () => {
  // Its own database: the search below reads every row of every table, which on the run's shared
  // PostgreSQL database would be every other file's rows too.
  t = await startTestApp({ isolated: true });
});
afterAll(async () => {
  await t?.stop();
});

const USER =
  'id email name firstName lastName phoneNumber avatarUrl attributes externalId status isActive deletedAt erasedAt createdAt version suspensionReason';

interface Erased {
  id: string;
  email: string;
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  avatarUrl: string | null;
  attributes: unknown;
  externalId: string | null;
  status: string;
  isActive: boolean;
  deletedAt: string | null;
  erasedAt: string | null;
  createdAt: string;
  version: number;
  suspensionReason: string | null;
}

/** Rows of every table in the schema whose JSON text contains `needle` (case-insensitive), by table. */
async function tablesContaining(needle: string): Promise<Record<string, number>> {
  const prisma = t.app.services.db.prisma;
  const tables = await prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
  expect(tables.map((r) => r.name)).toEqual(
    expect.arrayContaining(['users', 'user_events', 'user_import_errors', 'user_exports', 'login_attempts', 'user_sessions']),
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${quoted} x WHERE strpos(lower(row_to_json(x)::text), lower($1)) > 0`,
      needle,
    );
    if (row && row.n > 0) found[name] = row.n;
  }
  return found;
}

/** A user with personal data in every place the service keeps it: row, events, sign-ins, import errors, export links. */
async function personWithHistory(): Promise<{ id: string; email: string; password: string; secrets: string[] }> {
  const tag = randomUUID().slice(0, 8);
  const email = uniqueEmail(`erase-${tag}`);
  const password = `pw-${randomUUID()}`;
  const secrets = [
    email,
    `Zelda${tag}`,
    `Quux${tag}`,
    `Ada Q ${tag}`,
    `ext-${tag}`,
    `secret-plan-${tag}`,
    `Renamed${tag}`,
    `chargeback by ${tag}`,
  ];
  const created = await t.admin.execute<{ createUser: { id: string } }>(
    'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
    {
      input: {
        email,
        password,
        name: secrets[3],
        firstName: secrets[1],
        lastName: secrets[2],
        phoneNumber: '+14155550123',
        externalId: secrets[4],
        attributes: { plan: secrets[5] },
      },
    },
  );
  const id = created.expectData().createUser.id;
  // Sign-ins: the login history keeps the email (and address, user agent), a failed one also a
  // throttle counter keyed by the email.
  const login = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
  (await t.anonymous.execute(login, { e: email, p: password })).expectData();
  (await t.anonymous.execute(login, { e: email, p: 'not the password' })).expectError('UNAUTHENTICATED');
  (
    await t.admin.execute(
      'mutation($id: ID!, $n: String) { updateUser(id: $id, input: { name: $n, attributes: { plan: "x" } }) { id } }',
      { id, n: secrets[6] },
    )
  ).expectData();
  (
    await t.admin.execute('mutation($id: ID!, $r: String!) { suspendUser(id: $id, reason: $r) { id } }', { id, r: secrets[7] })
  ).expectData();
  // An import row error that names the email, and an export link filtered by it.
  (await uploadCsv(t.admin, `email,name\n${email},Someone\n`, { options: { mode: 'INSERT' } })).expectData();
  (
    await t.admin.execute('mutation($e: String!) { exportUsers(format: CSV, filter: { email: $e }) { url } }', { e: email })
  ).expectData();
  return { id, email, password, secrets };
}

async function erase(id: string, reason = 'GDPR request 2026-0042') {
  return t.admin.execute<{ eraseUser: Erased }>(
    `mutation($id: ID!, $r: String!) { eraseUser(id: $id, reason: $r) { ${USER} } }`,
    { id, r: reason },
  );
}

describe('eraseUser', () => {
  it('leaves no personal data in any table: the row is scrubbed, events keep no personal value', async () => {
    const person = await personWithHistory();
    for (const secret of person.secrets) expect(Object.keys(await tablesContaining(secret)).length, secret).toBeGreaterThan(0);
    const before = (
      await t.admin.execute<{ user: Erased }>(`query($id: ID!) { user(id: $id) { ${USER} } }`, { id: person.id })
    ).expectData().user;

    const erased = (await erase(person.id)).expectData().eraseUser;
    expect(erased).toMatchObject({
      id: person.id,
      email: `erased+${person.id}@invalid`,
      name: null,
      firstName: null,
      lastName: null,
      phoneNumber: null,
      avatarUrl: null,
      attributes: null,
      externalId: null,
      suspensionReason: null,
      status: 'ERASED',
      isActive: false,
      createdAt: before.createdAt,
    });
    expect(erased.deletedAt).not.toBeNull();
    expect(erased.erasedAt).not.toBeNull();

    for (const secret of person.secrets) expect(await tablesContaining(secret), secret).toEqual({});
    // status alone (the read narrowed to the columns status needs) still says ERASED.
    const alone = await t.admin.execute<{ users: { edges: { node: { status: string } }[] } }>(
      'query($id: ID!) { users(first: 1, filter: { ids: [$id], deleted: INCLUDE }) { edges { node { status } } } }',
      { id: person.id },
    );
    expect(alone.expectData().users.edges.map((e) => e.node.status)).toEqual(['ERASED']);
    // The password is gone too: the old one no longer logs in.
    const login = await t.anonymous.execute(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
      { e: person.email, p: person.password },
    );
    login.expectError('UNAUTHENTICATED');
  });

  it('keeps the event log readable: which fields changed, not their values; one USER_ERASED event with the reason', async () => {
    const person = await personWithHistory();
    (await erase(person.id, 'ticket 77')).expectData();
    const log = await t.admin.execute<{
      userEventLog: {
        edges: {
          node: {
            type: string;
            changes?: { field: string; from: string | null; to: string | null }[];
            email?: string;
            reason?: string;
            erasedBy?: string;
          };
        }[];
      };
    }>(
      `query($id: ID!) { userEventLog(userId: $id, first: 50) { edges { node { type
         ... on UserCreated { email } ... on UserUpdated { changes { field from to } } ... on UserSuspended { reason } ... on UserErased { reason erasedBy } } } } }`,
      { id: person.id },
    );
    const events = log.expectData().userEventLog.edges.map((e) => e.node);
    // The suspension ended the session the person had signed in with (USER_SESSIONS_REVOKED).
    expect(events.map((e) => e.type)).toEqual(['USER_CREATED', 'USER_UPDATED', 'USER_SUSPENDED', 'USER_SESSIONS_REVOKED', 'USER_ERASED']);
    expect(events[0]!.email).toBe(`erased+${person.id}@invalid`);
    expect(events[1]!.changes).toEqual([
      { field: 'name', from: null, to: null },
      { field: 'attributes.plan', from: null, to: null },
    ]);
    expect(events[2]!.reason).toBe('(erased)');
    const admin = (await t.admin.execute<{ me: { id: string } }>('{ me { id } }')).expectData().me.id;
    expect(events[4]).toMatchObject({ reason: 'ticket 77', erasedBy: admin });
  });

  it('works on a soft-deleted user, keeping its deletedAt; restoreUser then refuses with USER_MANAGEMENT_USER_ERASED', async () => {
    const person = await personWithHistory();
    const deleted = await t.admin.execute<{ deleteUser: { deletedAt: string } }>(
      'mutation($id: ID!) { deleteUser(id: $id) { deletedAt } }',
      { id: person.id },
    );
    const deletedAt = deleted.expectData().deleteUser.deletedAt;
    const erased = (await erase(person.id)).expectData().eraseUser;
    expect(erased.deletedAt).toBe(deletedAt);
    expect(erased.status).toBe('ERASED');
    const restore = await t.admin.execute('mutation($id: ID!) { restoreUser(id: $id) { id } }', { id: person.id });
    expect(restore.expectError('USER_MANAGEMENT_USER_ERASED').extensions?.status).toBe(422);
    // Listed only among deleted users, with status ERASED.
    const listed = await t.admin.execute<{ users: { edges: { node: { id: string } }[] } }>(
      'query($ids: [ID!]) { users(first: 5, filter: { ids: $ids, deleted: INCLUDE, status: [ERASED] }) { edges { node { id } } } }',
      { ids: [person.id] },
    );
    expect(listed.expectData().users.edges.map((e) => e.node.id)).toEqual([person.id]);
  });

  it('erasing twice changes nothing and records no second event', async () => {
    const person = await personWithHistory();
    const first = (await erase(person.id)).expectData().eraseUser;
    const second = (await erase(person.id)).expectData().eraseUser;
    expect(second.version).toBe(first.version);
    const log = await t.admin.execute<{ userEventLog: { edges: unknown[] } }>(
      'query($id: ID!) { userEventLog(userId: $id, types: [USER_ERASED], first: 5) { edges { cursor } } }',
      {
        id: person.id,
      },
    );
    expect(log.expectData().userEventLog.edges).toHaveLength(1);
  });

  it('refuses VIEWER, a bad reason, an unknown id and your own account', async () => {
    const person = await personWithHistory();
    const viewer = await clientFor(t.admin, 'VIEWER');
    (await viewer.client.execute('mutation($id: ID!) { eraseUser(id: $id, reason: "x") { id } }', { id: person.id })).expectError(
      'FORBIDDEN',
    );
    const blank = (await erase(person.id, '  ')).expectError('BAD_USER_INPUT');
    expect(blank.extensions?.fields?.[0]?.field).toBe('reason');
    (await erase(randomUUID())).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
    const admin = await clientFor(t.admin, 'ADMIN');
    (
      await admin.client.execute('mutation($id: ID!) { eraseUser(id: $id, reason: "self") { id } }', { id: admin.user.id })
    ).expectError('FORBIDDEN');
    // None of that erased anything.
    expect(Object.keys(await tablesContaining(person.email))).toContain('users');
  });
});
