import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateUserDocument,
  DeleteUserDocument,
  UpdateUserDocument,
  UserByEmailDocument,
  UserDocument,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('createUser', () => {
  it('stores the email trimmed and lower-cased and records who created the user', async () => {
    const email = uniqueEmail('Mixed.Case');
    const created = await createUser(t.admin, { email: `  ${email.toUpperCase()} `, name: '  Ada Lovelace ', role: 'VIEWER' });
    expect(created.email).toBe(email.toLowerCase());
    expect(created.name).toBe('Ada Lovelace');
    expect(created.role).toBe('VIEWER');
    expect(created.isActive).toBe(true);
    expect(created.isEmailVerified).toBe(false);
    expect(created.version).toBe(1);

    const fetched = (await t.admin.execute(UserDocument, { id: created.id })).expectData().user;
    expect(fetched?.createdBy?.email).toBe('admin@example.test');
  });

  it('never exposes passwordHash: the field does not exist in the schema', async () => {
    const result = await t.admin.execute('{ users(first: 1) { edges { node { passwordHash } } } }');
    result.expectError('GRAPHQL_VALIDATION_FAILED');
  });

  it('rejects bad input naming every bad field and writes nothing', async () => {
    const email = 'not-an-email';
    const result = await t.admin.execute(CreateUserDocument, {
      input: { email, password: 'short', phoneNumber: '12345', avatarUrl: 'ftp://x.test/a.png', firstName: 'x'.repeat(101) },
    });
    const error = result.expectError('BAD_USER_INPUT');
    const fields = error.extensions?.fields?.map((f) => f.field).sort();
    expect(fields).toEqual(['input.avatarUrl', 'input.email', 'input.firstName', 'input.password', 'input.phoneNumber']);
    expect(error.extensions?.status).toBe(400);
  });

  it('accepts a 72-byte password and refuses 73 bytes (bcrypt limit)', async () => {
    const ok = await t.admin.execute(CreateUserDocument, { input: { email: uniqueEmail(), password: 'é'.repeat(36) } });
    ok.expectData();
    const tooLong = await t.admin.execute(CreateUserDocument, { input: { email: uniqueEmail(), password: `${'é'.repeat(36)}a` } });
    expect(tooLong.expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field).toBe('input.password');
  });

  it('refuses a duplicate email among live users with USER_MANAGEMENT_USER_ALREADY_EXISTS (409)', async () => {
    const user = await createUser(t.admin);
    const again = await t.admin.execute(CreateUserDocument, { input: { email: user.email.toUpperCase() } });
    expect(again.expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS').extensions?.status).toBe(409);
  });

  it('lets exactly one of two concurrent creates with one email win; the other gets ALREADY_EXISTS', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => t.admin.execute(CreateUserDocument, { input: { email } })),
    );
    const codes = results.map((r) => r.body.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['OK', ...Array<string>(5).fill('USER_MANAGEMENT_USER_ALREADY_EXISTS')].sort());
  });
});

describe('reading users', () => {
  it('finds a user by email case-insensitively and returns null for unknown ids', async () => {
    const user = await createUser(t.admin);
    const byEmail = (await t.admin.execute(UserByEmailDocument, { email: ` ${user.email.toUpperCase()}` })).expectData();
    expect(byEmail.userByEmail?.id).toBe(user.id);
    const missing = (await t.admin.execute(UserDocument, { id: '00000000-0000-4000-8000-000000000000' })).expectData();
    expect(missing.user).toBeNull();
  });

  it('refuses an id that is not a UUID with BAD_USER_INPUT', async () => {
    (await t.admin.execute(UserDocument, { id: 'nope' })).expectError('BAD_USER_INPUT');
  });
});

describe('updateUser', () => {
  it('applies a partial update, bumps version and records the editor', async () => {
    const user = await createUser(t.admin, { name: 'Before', firstName: 'Keep' });
    const updated = (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'After', phoneNumber: '+44 20 7946 0958' } })).expectData().updateUser;
    expect(updated.name).toBe('After');
    expect(updated.firstName).toBe('Keep');
    expect(updated.phoneNumber).toBe('+442079460958');
    expect(updated.version).toBe(2);
    expect(updated.updatedById).not.toBeNull();
  });

  it('clears a field with null', async () => {
    const user = await createUser(t.admin, { name: 'Named' });
    const updated = (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: null } })).expectData().updateUser;
    expect(updated.name).toBeNull();
  });

  it('fails a stale expectedVersion with USER_MANAGEMENT_VERSION_CONFLICT and changes nothing', async () => {
    const user = await createUser(t.admin, { name: 'v1' });
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'v2' }, expectedVersion: 1 })).expectData();
    const stale = await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'v3' }, expectedVersion: 1 });
    const error = stale.expectError('USER_MANAGEMENT_VERSION_CONFLICT');
    expect(error.extensions?.status).toBe(409);
    expect(error.extensions?.actualVersion).toBe(2);
    const now = (await t.admin.execute(UserDocument, { id: user.id })).expectData().user;
    expect(now?.name).toBe('v2');
  });

  it('lets only one of several concurrent updates with the same expectedVersion win', async () => {
    const user = await createUser(t.admin);
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => t.admin.execute(UpdateUserDocument, { id: user.id, input: { name }, expectedVersion: 1 })),
    );
    const ok = results.filter((r) => !r.body.errors);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.body.errors)) r.expectError('USER_MANAGEMENT_VERSION_CONFLICT');
  });

  it('reports a missing user with USER_MANAGEMENT_USER_NOT_FOUND (404)', async () => {
    const result = await t.admin.execute(UpdateUserDocument, { id: '00000000-0000-4000-8000-000000000001', input: { name: 'x' } });
    expect(result.expectError('USER_MANAGEMENT_USER_NOT_FOUND').extensions?.status).toBe(404);
  });

  it('refuses to take an email another live user has', async () => {
    const a = await createUser(t.admin);
    const b = await createUser(t.admin);
    (await t.admin.execute(UpdateUserDocument, { id: b.id, input: { email: a.email } })).expectError('USER_MANAGEMENT_USER_ALREADY_EXISTS');
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const user = await createUser(t.admin, { name: 'Stay' });
    const result = await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'Changed', avatarUrl: 'javascript:alert(1)' } });
    expect(result.expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field).toBe('input.avatarUrl');
    const now = (await t.admin.execute(UserDocument, { id: user.id })).expectData().user;
    expect(now?.name).toBe('Stay');
    expect(now?.version).toBe(1);
  });
});

describe('deleteUser (soft delete)', () => {
  it('hides the user, keeps the row, and frees the email for a new user', async () => {
    const user = await createUser(t.admin);
    const deleted = (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectData().deleteUser;
    expect(deleted.deletedAt).not.toBeNull();
    expect(deleted.deletedById).not.toBeNull();
    expect((await t.admin.execute(UserDocument, { id: user.id })).expectData().user).toBeNull();
    expect((await t.admin.execute(UserByEmailDocument, { email: user.email })).expectData().userByEmail).toBeNull();

    const again = await createUser(t.admin, { email: user.email });
    expect(again.id).not.toBe(user.id);
  });

  it('reports deleting an already deleted user as NOT_FOUND', async () => {
    const user = await createUser(t.admin);
    (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectData();
    (await t.admin.execute(DeleteUserDocument, { id: user.id })).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
  });
});
