// Fields that return another user (createdBy, updatedBy, deletedBy) apply the read rule of
// user(id) (UsersService.canRead): ADMIN and VIEWER read anyone; a USER only themselves, and
// gets null for anyone else, as an anonymous caller does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ADMIN_EMAIL, type TestApp } from '../testkit/app.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { clientFor, createUser } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

interface Related {
  id: string;
  createdById: string | null;
  updatedById: string | null;
  createdBy: { id: string; email: string; role: string; phoneNumber: string | null; lastLoginAt: string | null } | null;
  updatedBy: { id: string; email: string } | null;
  deletedBy: { id: string; email: string } | null;
}
const RELATED = 'id createdById updatedById createdBy { id email role phoneNumber lastLoginAt } updatedBy { id email } deletedBy { id email }';

async function me(client: GraphQLClient): Promise<Related> {
  return (await client.execute<{ me: Related }>(`{ me { ${RELATED} } }`)).expectData().me;
}

describe('fields that return a user', () => {
  it("a USER gets null for the admin who created or changed them, and their own record where it is theirs", async () => {
    const { client, user } = await clientFor(t.admin, 'USER');
    const before = await me(client);
    // The relation exists (the id is there), but the record behind it is not the USER's to read.
    expect(before.createdById).not.toBeNull();
    expect(before).toMatchObject({ createdBy: null, updatedBy: null, deletedBy: null });

    // After they change their own profile, updatedBy is themselves: readable.
    await client.execute('mutation { updateMe(input: { firstName: "Own" }) { id } }');
    const after = await me(client);
    expect(after.updatedById).toBe(user.id);
    expect(after.updatedBy).toEqual({ id: user.id, email: user.email });
    expect(after.createdBy).toBeNull();

    // The same rule as user(id): their own id reads, the creator's is FORBIDDEN.
    expect((await client.execute<{ user: { id: string } }>('query($id: ID!) { user(id: $id) { id } }', { id: user.id })).expectData().user.id).toBe(user.id);
    (await client.execute('query($id: ID!) { user(id: $id) { id } }', { id: before.createdById })).expectError('FORBIDDEN');
  });

  it('a VIEWER and an ADMIN read the related users', async () => {
    const { client: viewer } = await clientFor(t.admin, 'VIEWER');
    const { client: admin } = await clientFor(t.admin, 'ADMIN');
    for (const client of [viewer, admin]) {
      const record = await me(client);
      expect(record.createdBy).toMatchObject({ id: record.createdById, email: ADMIN_EMAIL, role: 'ADMIN' });
      expect(record.updatedBy).toMatchObject({ id: record.updatedById, email: ADMIN_EMAIL });
    }

    const target = await createUser(t.admin);
    await admin.execute('mutation($id: ID!) { deleteUser(id: $id) { id } }', { id: target.id });
    const query = `query($id: ID!) { users(filter: { ids: [$id], deleted: ONLY }) { edges { node { deletedBy { email } } } } }`;
    const deleted = (await admin.execute<{ users: { edges: { node: { deletedBy: { email: string } | null } }[] } }>(query, { id: target.id })).expectData();
    expect(deleted.users.edges[0]?.node.deletedBy?.email).toMatch(/@example\.test$/);
    const listed = (await viewer.execute<{ users: { edges: { node: Related }[] } }>(`query($id: ID!) { users(filter: { ids: [$id] }) { edges { node { ${RELATED} } } } }`, {
      id: (await createUser(t.admin)).id,
    })).expectData();
    expect(listed.users.edges[0]?.node.createdBy?.email).toBe(ADMIN_EMAIL);
  });

  it('login answers with the user but not with who created them (the caller is not signed in yet)', async () => {
    const { user, password } = await clientFor(t.admin, 'USER');
    const result = await t.anonymous.execute<{ login: { user: { id: string; createdById: string | null; createdBy: unknown } } }>(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { id createdById createdBy { email role } } } }',
      { e: user.email, p: password },
    );
    const login = result.expectData().login;
    expect(login.user.id).toBe(user.id);
    expect(login.user.createdById).not.toBeNull();
    expect(login.user.createdBy).toBeNull();
  });
});
