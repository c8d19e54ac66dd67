// Custom attributes and external ids as a client uses them: written by ADMIN only, within limits,
// patched with RFC 7396 under optimistic concurrency, reported per key in UserUpdated, filtered
// on (ANDed with the rest of the filter), exported and imported back.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { clientFor, eventsAfter, firstEventOf, uniqueEmail } from '../testkit/seed.js';
import { uploadCsv } from '../testkit/upload.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

interface U {
  id: string;
  email: string;
  version: number;
  role: string;
  attributes: Record<string, unknown> | null;
  externalId: string | null;
}
const FIELDS = 'id email version role attributes externalId';

async function create(client: GraphQLClient, input: Record<string, unknown>): Promise<U> {
  const result = await client.execute<{ createUser: U }>(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { ${FIELDS} } }`,
    {
      input: { email: uniqueEmail('attr'), ...input },
    },
  );
  return result.expectData().createUser;
}

function patch(client: GraphQLClient, id: string, p: unknown, expectedVersion?: number) {
  return client.execute<{ patchUserAttributes: U }>(
    `mutation($id: ID!, $p: JSON!, $v: Int) { patchUserAttributes(id: $id, patch: $p, expectedVersion: $v) { ${FIELDS} } }`,
    { id, p, v: expectedVersion },
  );
}

async function listIds(filter: Record<string, unknown>): Promise<string[]> {
  const result = await t.admin.execute<{ users: { edges: { node: { id: string } }[] } }>(
    'query($f: UserFilter) { users(first: 100, filter: $f) { edges { node { id } } } }',
    { f: filter },
  );
  return result
    .expectData()
    .users.edges.map((e) => e.node.id)
    .sort();
}

const sorted = (...ids: string[]) => [...ids].sort();

describe('attributes: writing', () => {
  it('createUser stores the object as given; updateUser replaces it and null clears it', async () => {
    const attributes = { plan: 'pro', tenantId: 't-42', flags: { beta: true }, seats: 5, tags: ['a', 'b'] };
    const user = await create(t.admin, { attributes });
    expect(user.attributes).toEqual(attributes);

    const replaced = await t.admin.execute<{ updateUser: U }>(
      `mutation($id: ID!) { updateUser(id: $id, input: { attributes: { plan: "free" } }) { ${FIELDS} } }`,
      {
        id: user.id,
      },
    );
    expect(replaced.expectData().updateUser.attributes).toEqual({ plan: 'free' });

    const cleared = await t.admin.execute<{ updateUser: U }>(
      `mutation($id: ID!) { updateUser(id: $id, input: { attributes: null }) { ${FIELDS} } }`,
      { id: user.id },
    );
    expect(cleared.expectData().updateUser.attributes).toBeNull();
  });

  it.each([
    ['a list', [1, 2], /must be a JSON object/],
    ['a string', 'plan=pro', /must be a JSON object/],
    ['a key with a space', { 'my plan': 'pro' }, /key "my plan" must be 1-64 characters/],
    ['a 65-character key', { ['k'.repeat(65)]: 1 }, /must be 1-64 characters/],
    ['six levels', { a: { b: { c: { d: { e: { f: 1 } } } } } }, /nested at most 5 levels deep \(at a\.b\.c\.d\.e\)/],
    ['over 16 KB', { blob: 'x'.repeat(16 * 1024) }, /at most 16384 bytes serialized/],
    ['a NUL in a string', { note: 'a\u0000b' }, /NUL/],
  ])(
    'refuses %s with BAD_USER_INPUT on input.attributes naming the problem, and writes nothing',
    async (_name, attributes, message) => {
      const email = uniqueEmail('attr-bad');
      const result = await t.admin.execute(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
        input: { email, attributes },
      });
      const error = result.expectError('BAD_USER_INPUT');
      expect(error.extensions?.fields).toHaveLength(1);
      expect(error.extensions?.fields?.[0]?.field).toBe('input.attributes');
      expect(error.extensions?.fields?.[0]?.message).toMatch(message);
      const found = await t.admin.execute<{ userByEmail: unknown }>('query($e: String!) { userByEmail(email: $e) { id } }', {
        e: email,
      });
      expect(found.expectData().userByEmail).toBeNull();
    },
  );

  it('accepts exactly five levels and exactly 16 KB', async () => {
    const five = await create(t.admin, { attributes: { a: { b: { c: { d: { e: 1 } } } } } });
    expect(five.attributes).toEqual({ a: { b: { c: { d: { e: 1 } } } } });
    const filler = 16 * 1024 - JSON.stringify({ blob: '' }).length;
    const full = await create(t.admin, { attributes: { blob: 'x'.repeat(filler) } });
    expect(JSON.stringify(full.attributes)).toHaveLength(16 * 1024);
  });

  it('only ADMIN writes attributes: VIEWER is FORBIDDEN and updateMe has no such field', async () => {
    const user = await create(t.admin, { attributes: { plan: 'pro' } });
    const viewer = await clientFor(t.admin, 'VIEWER');
    (await patch(viewer.client, user.id, { plan: 'free' })).expectError('FORBIDDEN');
    const self = await clientFor(t.admin, 'USER');
    (await self.client.execute('mutation { updateMe(input: { attributes: { plan: "pro" } }) { id } }')).expectError(
      'GRAPHQL_VALIDATION_FAILED',
    );
    const me = await self.client.execute<{ me: { attributes: unknown } }>('{ me { attributes } }');
    expect(me.expectData().me.attributes).toBeNull();
  });
});

describe('patchUserAttributes', () => {
  it('applies an RFC 7396 merge patch: objects merge key by key, null removes a key', async () => {
    const user = await create(t.admin, { attributes: { plan: 'pro', tenantId: 't-1', flags: { beta: true, dark: false } } });
    const patched = (
      await patch(t.admin, user.id, { tenantId: null, flags: { dark: null, new: 1 }, seats: 3 }, user.version)
    ).expectData().patchUserAttributes;
    expect(patched.attributes).toEqual({ plan: 'pro', flags: { beta: true, new: 1 }, seats: 3 });
    expect(patched.version).toBe(user.version + 1);
  });

  it('works on a user without attributes', async () => {
    const user = await create(t.admin, {});
    expect((await patch(t.admin, user.id, { plan: 'pro', gone: null })).expectData().patchUserAttributes.attributes).toEqual({
      plan: 'pro',
    });
  });

  it('refuses a stale expectedVersion with USER_MANAGEMENT_VERSION_CONFLICT and changes nothing', async () => {
    const user = await create(t.admin, { attributes: { plan: 'pro' } });
    (await patch(t.admin, user.id, { plan: 'team' }, user.version)).expectData();
    const stale = (await patch(t.admin, user.id, { plan: 'free' }, user.version)).expectError('USER_MANAGEMENT_VERSION_CONFLICT');
    expect(stale.extensions?.actualVersion).toBe(user.version + 1);
    const now = await t.admin.execute<{ user: U }>(`query($id: ID!) { user(id: $id) { ${FIELDS} } }`, { id: user.id });
    expect(now.expectData().user.attributes).toEqual({ plan: 'team' });
  });

  it('refuses a patch that is not an object, or whose result breaks the limits, on `patch`', async () => {
    const user = await create(t.admin, { attributes: { blob: 'x'.repeat(10_000) } });
    const notObject = (await patch(t.admin, user.id, [1])).expectError('BAD_USER_INPUT');
    expect(notObject.extensions?.fields?.[0]).toEqual({ field: 'patch', message: 'must be a JSON object (a merge patch)' });
    const tooBig = (await patch(t.admin, user.id, { more: 'y'.repeat(7_000) })).expectError('BAD_USER_INPUT');
    expect(tooBig.extensions?.fields?.[0]?.field).toBe('patch');
    expect(tooBig.extensions?.fields?.[0]?.message).toMatch(/at most 16384 bytes/);
  });

  it('lets concurrent patches of different keys all land', async () => {
    const user = await create(t.admin, { attributes: {} });
    const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => patch(t.admin, user.id, { [k]: true }).then((r) => r.expectData())));
    const now = await t.admin.execute<{ user: U }>(`query($id: ID!) { user(id: $id) { ${FIELDS} } }`, { id: user.id });
    expect(Object.keys(now.expectData().user.attributes ?? {}).sort()).toEqual(keys);
  });

  it('reports each changed top-level key in UserUpdated.changes, values as JSON', async () => {
    const user = await create(t.admin, { attributes: { plan: 'pro', flags: { beta: true }, same: 1 } });
    const after = await firstEventOf(t.admin, user.id);
    (await patch(t.admin, user.id, { plan: 'team', flags: { beta: false }, same: 1, added: 'x' })).expectData();
    const events = (await eventsAfter(t.admin, after, ['USER_UPDATED'])).filter((e) => 'userId' in e && e.userId === user.id);
    expect(events).toHaveLength(1);
    const changes = (events[0] as unknown as { changes: { field: string; from: string | null; to: string | null }[] }).changes;
    expect(changes).toEqual([
      { field: 'attributes.added', from: null, to: '"x"' },
      { field: 'attributes.flags', from: '{"beta":true}', to: '{"beta":false}' },
      { field: 'attributes.plan', from: '"pro"', to: '"team"' },
    ]);
  });
});

describe('filter.attributes', () => {
  it('finds users by eq, in, exists and numeric ranges, ANDed with each other and the rest of the filter', async () => {
    const tenant = `t-${randomUUID()}`;
    const a = await create(t.admin, {
      role: 'VIEWER',
      attributes: { tenantId: tenant, plan: 'pro', seats: 10, flags: { beta: true } },
    });
    const b = await create(t.admin, { role: 'USER', attributes: { tenantId: tenant, plan: 'pro', seats: 3 } });
    const c = await create(t.admin, {
      role: 'USER',
      attributes: { tenantId: tenant, plan: 'free', seats: '12', flags: { beta: false } },
    });
    const d = await create(t.admin, { role: 'USER', attributes: { tenantId: tenant, plan: 'team', seats: 25 } });
    const mine = { path: 'tenantId', eq: tenant };

    expect(await listIds({ attributes: [mine] })).toEqual(sorted(a.id, b.id, c.id, d.id));
    expect(await listIds({ attributes: [mine, { path: 'plan', eq: 'pro' }] })).toEqual(sorted(a.id, b.id));
    expect(await listIds({ attributes: [mine, { path: 'plan', eq: 'pro' }], roles: ['USER'] })).toEqual([b.id]);
    expect(await listIds({ attributes: [mine, { path: 'plan', in: ['free', 'team'] }] })).toEqual(sorted(c.id, d.id));
    expect(await listIds({ attributes: [mine, { path: 'flags.beta', eq: true }] })).toEqual([a.id]);
    expect(await listIds({ attributes: [mine, { path: 'flags.beta', exists: true }] })).toEqual(sorted(a.id, c.id));
    expect(await listIds({ attributes: [mine, { path: 'flags', exists: false }] })).toEqual(sorted(b.id, d.id));
    expect(await listIds({ attributes: [mine, { path: 'seats', eq: 10 }] })).toEqual([a.id]);
    // The string "12" is not a number: ranges never match it.
    expect(await listIds({ attributes: [mine, { path: 'seats', gte: 10 }] })).toEqual(sorted(a.id, d.id));
    expect(await listIds({ attributes: [mine, { path: 'seats', gte: 3, lt: 25 }] })).toEqual(sorted(a.id, b.id));
    expect(await listIds({ attributes: [mine, { path: 'seats', lt: 10 }] })).toEqual([b.id]);
  });

  it('counts with the same filter', async () => {
    const tenant = `t-${randomUUID()}`;
    await create(t.admin, { attributes: { tenantId: tenant } });
    await create(t.admin, { attributes: { tenantId: tenant } });
    const result = await t.admin.execute<{ users: { totalCount: number } }>(
      'query($f: UserFilter) { users(first: 1, filter: $f) { totalCount } }',
      {
        f: { attributes: [{ path: 'tenantId', eq: tenant }] },
      },
    );
    expect(result.expectData().users.totalCount).toBe(2);
  });

  it('refuses malformed conditions naming each one', async () => {
    const result = await t.admin.execute('query($f: UserFilter) { users(first: 1, filter: $f) { edges { cursor } } }', {
      f: {
        attributes: [
          { path: 'bad path', eq: 1 },
          { path: 'plan' },
          { path: 'plan', eq: 'a', exists: true },
          { path: 'plan', eq: { nested: 1 } },
          { path: 'plan', in: [] },
        ],
      },
    });
    const fields = result.expectError('BAD_USER_INPUT').extensions?.fields?.map((f) => f.field);
    expect(fields).toEqual([
      'filter.attributes.0.path',
      'filter.attributes.1',
      'filter.attributes.2',
      'filter.attributes.3.eq',
      'filter.attributes.4.in',
    ]);
  });
});

describe('externalId', () => {
  it('is stored as given (trimmed), found by userByExternalId and filter.externalIds, case-sensitively', async () => {
    const id = `crm-${randomUUID()}`;
    const user = await create(t.admin, { externalId: `  ${id} ` });
    expect(user.externalId).toBe(id);
    const found = await t.admin.execute<{ userByExternalId: { id: string } | null }>(
      'query($x: String!) { userByExternalId(externalId: $x) { id } }',
      { x: id },
    );
    expect(found.expectData().userByExternalId?.id).toBe(user.id);
    const upper = await t.admin.execute<{ userByExternalId: unknown }>(
      'query($x: String!) { userByExternalId(externalId: $x) { id } }',
      { x: id.toUpperCase() },
    );
    expect(upper.expectData().userByExternalId).toBeNull();
    const other = await create(t.admin, { externalId: id.toUpperCase() });
    expect(await listIds({ externalIds: [id, id.toUpperCase(), 'nobody'] })).toEqual(sorted(user.id, other.id));
  });

  it('is unique among live users: a duplicate is USER_MANAGEMENT_USER_ALREADY_EXISTS on externalId; deleting frees it', async () => {
    const id = `crm-${randomUUID()}`;
    const first = await create(t.admin, { externalId: id });
    const dup = (
      await t.admin.execute('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
        input: { email: uniqueEmail(), externalId: id },
      })
    ).expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS');
    expect(dup.extensions?.field).toBe('externalId');
    const second = await create(t.admin, {});
    const taken = await t.admin.execute(
      'mutation($id: ID!, $x: String) { updateUser(id: $id, input: { externalId: $x }) { id } }',
      { id: second.id, x: id },
    );
    expect(taken.expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS').extensions?.field).toBe('externalId');
    (await t.admin.execute('mutation($id: ID!) { deleteUser(id: $id) { id } }', { id: first.id })).expectData();
    const reused = await t.admin.execute<{ updateUser: U }>(
      `mutation($id: ID!, $x: String) { updateUser(id: $id, input: { externalId: $x }) { ${FIELDS} } }`,
      { id: second.id, x: id },
    );
    expect(reused.expectData().updateUser.externalId).toBe(id);
  });

  it('refuses more than 255 characters on input.externalId', async () => {
    const result = await t.admin.execute('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
      input: { email: uniqueEmail(), externalId: 'x'.repeat(256) },
    });
    expect(result.expectError('BAD_USER_INPUT').extensions?.fields).toEqual([
      { field: 'input.externalId', message: 'must be at most 255 characters' },
    ]);
  });
});

describe('export and import', () => {
  async function download(format: string, filter: Record<string, unknown>): Promise<string> {
    const link = await t.admin.execute<{ exportUsers: { url: string } }>(
      'mutation($format: ExportFormat!, $filter: UserFilter) { exportUsers(format: $format, filter: $filter) { url } }',
      { format, filter },
    );
    return (await fetch(link.expectData().exportUsers.url)).text();
  }

  it('exports attributes as one JSON column in CSV and as an object in JSON and NDJSON, with the external id', async () => {
    const tenant = `t-${randomUUID()}`;
    const attributes = { tenantId: tenant, note: 'a, "quoted" text', flags: { beta: true } };
    const user = await create(t.admin, { attributes, externalId: `x-${tenant}` });
    const filter = { attributes: [{ path: 'tenantId', eq: tenant }] };

    const csv = await download('CSV', filter);
    const [header, line] = csv.trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(columns).toContain('attributes');
    expect(columns).toContain('externalId');
    // The JSON text is one quoted cell: its commas and quotes do not split it.
    const cell = /"(\{.*\})"$/.exec(line!)![1]!.replace(/""/g, '"');
    expect(JSON.parse(cell)).toEqual(attributes);
    expect(line).toContain(`,x-${tenant},`);

    const json = JSON.parse(await download('JSON', filter)) as { id: string; attributes: unknown; externalId: string }[];
    expect(json).toEqual([expect.objectContaining({ id: user.id, attributes, externalId: `x-${tenant}` })]);
    const ndjson = (await download('NDJSON', filter))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { attributes: unknown });
    expect(ndjson.map((r) => r.attributes)).toEqual([attributes]);
  });

  it('an exported CSV imports back; an attributes cell merges into existing users in UPSERT mode', async () => {
    const tenant = `t-${randomUUID()}`;
    const user = await create(t.admin, {
      attributes: { tenantId: tenant, plan: 'pro', flags: { beta: true, dark: true } },
      externalId: `x-${tenant}`,
    });
    const filter = { attributes: [{ path: 'tenantId', eq: tenant }] };
    const csv = await download('CSV', filter);

    // As exported: nothing changes.
    const same = (await uploadCsv(t.admin, csv, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(same).toMatchObject({ status: 'SUCCEEDED', failed: 0, updated: 0, skipped: 1 });

    const newEmail = uniqueEmail('attr-import');
    const file =
      'email,attributes,externalId\n' +
      `${user.email},"{""plan"": ""team"", ""flags"": {""dark"": null}, ""seats"": 4}",x-${tenant}\n` +
      `${newEmail},"{""tenantId"": ""${tenant}"", ""gone"": null}",y-${tenant}\n`;
    const imported = (await uploadCsv(t.admin, file, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(imported).toMatchObject({ status: 'SUCCEEDED', failed: 0, updated: 1, created: 1 });

    const rows = await t.admin.execute<{ users: { edges: { node: U }[] } }>(
      `query($f: UserFilter) { users(first: 10, filter: $f, orderBy: [{ field: EMAIL }]) { edges { node { ${FIELDS} } } } }`,
      {
        f: filter,
      },
    );
    const byEmail = new Map(rows.expectData().users.edges.map((e) => [e.node.email, e.node]));
    expect(byEmail.get(user.email)?.attributes).toEqual({ tenantId: tenant, plan: 'team', flags: { beta: true }, seats: 4 });
    expect(byEmail.get(newEmail)?.attributes).toEqual({ tenantId: tenant });
    expect(byEmail.get(newEmail)?.externalId).toBe(`y-${tenant}`);
  });

  it('reports an externalId taken by another user, or repeated in the file, as row errors and writes the rest', async () => {
    const tenant = `t-${randomUUID()}`;
    await create(t.admin, { externalId: `x-${tenant}` });
    const [a, b, c] = [uniqueEmail('ext-a'), uniqueEmail('ext-b'), uniqueEmail('ext-c')];
    const file = `email,externalId\n${a},x-${tenant}\n${b},y-${tenant}\n${c},y-${tenant}\n`;
    const result = (await uploadCsv(t.admin, file, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 1, failed: 2, skipped: 0 });
    expect(result.errors.map((e) => [e.row, e.field, e.code])).toEqual([
      [2, 'externalId', 'EXTERNAL_ID_TAKEN'],
      [4, 'externalId', 'DUPLICATE_IN_FILE'],
    ]);
    expect(await listIds({ externalIds: [`x-${tenant}`, `y-${tenant}`] })).toHaveLength(2);
  });

  it('reports a bad attributes cell as a row error naming the field', async () => {
    const email = uniqueEmail('attr-import-bad');
    const result = (
      await uploadCsv(t.admin, `email,attributes\n${email},not json\n`, { options: { mode: 'INSERT' } })
    ).expectData().importUsers;
    expect(result).toMatchObject({ failed: 1, created: 0 });
    expect(result.errors[0]).toMatchObject({ row: 2, field: 'attributes', message: 'must be a JSON object' });
  });
});
