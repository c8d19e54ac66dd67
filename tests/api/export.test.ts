// exportUsers as a client sees it: a signed link that needs no bearer token, streamed files in
// three formats, formula neutralisation, never a password hash, who may export what, and a CSV
// that imports back to the same users.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportLinkSigner } from '../../src/users/export/export.link.js';
import { ExportUsersDocument, UserByEmailDocument, type ExportUsersMutationVariables } from '../generated/graphql.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { databaseUrl, startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser } from '../testkit/seed.js';
import { csv, uploadCsv } from '../testkit/upload.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

async function exportLink(client: GraphQLClient, variables: ExportUsersMutationVariables) {
  return (await client.execute(ExportUsersDocument, variables)).expectData().exportUsers;
}

async function download(url: string): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url); // no Authorization header: the link is the credential
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Users with a unique tag in their name, so a `search` filter selects exactly them. */
async function seedTagged(n: number, extra: Record<string, unknown> = {}) {
  const tag = `tag${randomUUID().slice(0, 8)}`;
  const users = [];
  for (let i = 0; i < n; i++) users.push(await createUser(t.admin, { name: `${tag} ${i}`, password: 'password-123', ...extra }));
  return { tag, users };
}

describe('exportUsers', () => {
  it('returns a short-lived link that streams a CSV attachment without a bearer token, never with password hashes', async () => {
    const { tag, users } = await seedTagged(3, { phoneNumber: '+14155550123' });
    const link = await exportLink(t.admin, { format: 'CSV', filter: { search: tag } });
    expect(link.format).toBe('CSV');
    expect(new Date(link.expiresAt).getTime() - Date.now()).toBeGreaterThan(60_000);
    expect(new Date(link.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exports\/[\w-]+\.[\w-]+\.[\w-]+$/);

    const file = await download(link.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="users-[\dT-]+\.csv"$/);
    const lines = file.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,email,name,firstName,lastName,phoneNumber,avatarUrl,externalId,role,isActive,isEmailVerified,status,suspendedAt,suspendedUntil,suspensionReason,lastLoginAt,createdAt,updatedAt,deletedAt,version,attributes');
    expect(lines).toHaveLength(4);
    for (const user of users) expect(file.body).toContain(user.email);
    expect(file.body).not.toMatch(/\$2[aby]\$/);
    expect(file.body.toLowerCase()).not.toContain('password');
    // An E.164 number starts with "+": neutralised like any formula-looking cell.
    expect(file.body).toContain(",'+14155550123,");
  });

  it('streams JSON and NDJSON with only the requested fields, in order', async () => {
    const { tag, users } = await seedTagged(2);
    const json = await download((await exportLink(t.admin, { format: 'JSON', filter: { search: tag }, fields: ['EMAIL', 'ROLE', 'IS_ACTIVE'] })).url);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const parsed = JSON.parse(json.body) as Record<string, unknown>[];
    expect(parsed).toEqual(users.map((u) => ({ email: u.email, role: 'USER', isActive: true })));
    expect(Object.keys(parsed[0]!)).toEqual(['email', 'role', 'isActive']);

    const nd = await download((await exportLink(t.admin, { format: 'NDJSON', filter: { search: tag }, fields: ['EMAIL', 'CREATED_AT'] })).url);
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const rows = nd.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { email: string; createdAt: string });
    expect(rows.map((r) => r.email)).toEqual(users.map((u) => u.email));
    expect(rows[0]!.createdAt).toBe(users[0]!.createdAt);

    const empty = await download((await exportLink(t.admin, { format: 'JSON', filter: { search: `${tag}-nobody` } })).url);
    expect(JSON.parse(empty.body)).toEqual([]);
  });

  it('neutralises CSV cells starting with = + - @ tab or CR, and the file imports back to the same values', async () => {
    const tag = `tag${randomUUID().slice(0, 8)}`;
    const names = ['=HYPERLINK("http://evil.test","x")', '+SUM(1,2)', '-2+3', '@cmd', "'=already quoted"];
    const users = [];
    for (const [i, name] of names.entries()) users.push(await createUser(t.admin, { name, lastName: `${tag}${i}` }));
    const file = await download((await exportLink(t.admin, { format: 'CSV', filter: { search: tag }, fields: ['EMAIL', 'NAME', 'LAST_NAME'] })).url);
    expect(file.body).toContain(`,"'=HYPERLINK(""http://evil.test"",""x"")",`);
    expect(file.body).toContain(`,"'+SUM(1,2)",`);
    expect(file.body).toContain(",'-2+3,");
    expect(file.body).toContain(",'@cmd,");
    expect(file.body).toContain(",''=already quoted,");

    const back = (await uploadCsv(t.admin, file.body, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(back).toMatchObject({ status: 'SUCCEEDED', created: 0, updated: 0, skipped: names.length, failed: 0 });
    for (const [i, user] of users.entries()) {
      expect((await t.admin.execute(UserByEmailDocument, { email: user.email })).expectData().userByEmail).toMatchObject({ name: names[i], version: 1 });
    }
  });

  it('round trip: an exported CSV (all fields) re-imports with UPSERT to the same users; an edit in the file updates only that user', async () => {
    const { tag, users } = await seedTagged(4, { firstName: 'Ann', phoneNumber: '+14155550123', avatarUrl: 'https://x.test/a.png', role: 'VIEWER' });
    const file = await download((await exportLink(t.admin, { format: 'CSV', filter: { search: tag } })).url);
    const same = (await uploadCsv(t.admin, file.body, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(same).toMatchObject({ status: 'SUCCEEDED', totalRows: 4, created: 0, updated: 0, skipped: 4, failed: 0 });

    const edited = file.body.replace(`${tag} 2`, `${tag} two`);
    const once = (await uploadCsv(t.admin, edited, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(once).toMatchObject({ updated: 1, skipped: 3 });
    const user = (await t.admin.execute(UserByEmailDocument, { email: users[2]!.email })).expectData().userByEmail;
    expect(user).toMatchObject({ id: users[2]!.id, name: `${tag} two`, firstName: 'Ann', phoneNumber: '+14155550123', role: 'VIEWER', version: 2 });
    // The password survived: exports never carry it, so the import never touched it.
    await t.anonymous.login(users[2]!.email, 'password-123');
  });

  it('bom: a CSV for Excel starts with a UTF-8 byte order mark and still imports back; JSON refuses one', async () => {
    const { tag } = await seedTagged(2, { firstName: 'Zoë' });
    const link = await exportLink(t.admin, { format: 'CSV', filter: { search: tag }, bom: true });
    expect(link.bom).toBe(true);
    // Response.text() would strip the mark while decoding: look at the bytes.
    const bytes = new Uint8Array(await (await fetch(link.url)).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toMatch(/^id,email,/);
    expect(new TextDecoder().decode(bytes)).toContain(',Zoë,');
    const back = (await uploadCsv(t.admin, bytes, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(back).toMatchObject({ status: 'SUCCEEDED', totalRows: 2, skipped: 2, failed: 0 });
    // Without the option, no mark.
    const plain = new Uint8Array(await (await fetch((await exportLink(t.admin, { format: 'CSV', filter: { search: tag } })).url)).arrayBuffer());
    expect(plain[0]).toBe('i'.charCodeAt(0));

    const refused = (await t.admin.execute(ExportUsersDocument, { format: 'JSON', bom: true })).expectError('BAD_USER_INPUT');
    expect(JSON.stringify(refused)).toContain('bom');
  });

  it('streams many keyset batches in order without gaps or repeats', async () => {
    const tag = `bulk${randomUUID().slice(0, 8)}`;
    const emails = Array.from({ length: 12_345 }, (_, i) => `${tag}.${i}@example.test`);
    const imported = (await uploadCsv(t.admin, csv([['email'], ...emails.map((e) => [e])]))).expectData().importUsers;
    expect(imported.created).toBe(emails.length);
    const file = await download((await exportLink(t.admin, { format: 'NDJSON', filter: { search: tag }, fields: ['EMAIL'] })).url);
    const got = file.body.trimEnd().split('\n').map((l) => (JSON.parse(l) as { email: string }).email);
    expect(got).toHaveLength(emails.length);
    expect(new Set(got).size).toBe(emails.length);
  });
});

describe('export access and links', () => {
  it('is open to ADMIN and VIEWER; deleted users need ADMIN; USER and anonymous are refused', async () => {
    const viewer = await clientFor(t.admin, 'VIEWER');
    await exportLink(viewer.client, { format: 'CSV' });
    (await viewer.client.execute(ExportUsersDocument, { format: 'CSV', filter: { deleted: 'INCLUDE' } })).expectError('FORBIDDEN');
    const user = await clientFor(t.admin, 'USER');
    (await user.client.execute(ExportUsersDocument, { format: 'CSV' })).expectError('FORBIDDEN');
    (await t.anonymous.execute(ExportUsersDocument, { format: 'CSV' })).expectError('UNAUTHENTICATED');
  });

  it('refuses a tampered link, an expired link, and a bearer token used as a link', async () => {
    const link = await exportLink(t.admin, { format: 'CSV', fields: ['EMAIL'] });
    const tampered = await download(`${link.url.slice(0, -2)}xx`);
    expect(tampered.status).toBe(404);
    expect(JSON.parse(tampered.body)).toMatchObject({ errors: [{ extensions: { code: 'EXPORT_LINK_INVALID', status: 404 } }] });
    expect(tampered.headers.get('cache-control')).toBe('no-store');

    const exportId = randomUUID();
    const signer = new ExportLinkSigner('test-secret-test-secret-test-secret-0123456789', 'users-service');
    const expired = await download(`${new URL(link.url).origin}/exports/${await signer.sign(exportId, new Date(Date.now() - 1000))}`);
    expect(expired.status).toBe(410);
    expect(JSON.parse(expired.body)).toMatchObject({ errors: [{ extensions: { code: 'EXPORT_LINK_EXPIRED', status: 410 } }] });

    const bearer = await download(`${new URL(link.url).origin}/exports/${t.admin.token}`);
    expect(bearer.status).toBe(404);
  });

  it('rejects a bad filter with BAD_USER_INPUT naming the field', async () => {
    const result = await t.admin.execute(ExportUsersDocument, { format: 'CSV', filter: { ids: ['nope'] } });
    expect(result.expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field).toBe('filter.ids.0');
  });
});

// On PostgreSQL an export is one COPY on a pool connection of its own, streamed with back-pressure.
describe.runIf(databaseUrl())('export as one COPY (PostgreSQL)', () => {
  /** Enough users (~30 MB of NDJSON) that a client that stops reading holds the COPY mid-way. */
  const tag = `copy${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    const attributes = { pad: 'x'.repeat(1_500) };
    await t.app.services.db.prisma.user.createMany({ data: Array.from({ length: 20_000 }, (_, i) => ({ email: `${tag}.${i}@example.test`, name: tag, attributes })) });
  });

  /**
   * The backends running a COPY in this database (pg_stat_activity keeps a statement's first 1 kB
   * only, so the statement's filter is out of sight: compare with what ran before).
   */
  async function copies(): Promise<number[]> {
    const rows = await t.app.services.db.prisma.$queryRaw<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY (%'`;
    return rows.map((r) => r.pid);
  }

  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await check()).toBe(true);
  }

  /** Starts a download and reads its first piece, then reads no more. */
  async function startDownload(tag: string) {
    const link = await exportLink(t.admin, { format: 'NDJSON', filter: { search: tag } });
    const client = new AbortController();
    const response = await fetch(link.url, { signal: client.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    return { client, reader };
  }

  it('streams with back-pressure from one statement, and a client that goes away ends the COPY and frees its connection', async () => {
    const pool = () => t.app.services.db.poolStats!();
    const idle = pool().inUse;
    const before = await copies();
    const { client } = await startDownload(tag);
    // The client reads nothing more: the COPY waits on the socket, still running.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ours = (await copies()).filter((pid) => !before.includes(pid));
    expect(ours).toHaveLength(1);
    expect(pool().inUse).toBe(idle + 1);
    client.abort();
    await eventually(async () => !(await copies()).includes(ours[0]!) && pool().inUse === idle);
  });

  it('cuts the response off (no clean end) when the COPY fails mid-way, and frees the connection', async () => {
    const pool = () => t.app.services.db.poolStats!();
    const idle = pool().inUse;
    const before = await copies();
    const { reader } = await startDownload(tag);
    const [pid] = (await copies()).filter((p) => !before.includes(p));
    expect(pid).toBeDefined();
    await t.app.services.db.prisma.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    // The rest of the body fails to arrive: a truncated file is never passed off as complete.
    const rest = (async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })();
    await expect(rest).rejects.toThrow();
    await eventually(() => Promise.resolve(pool().inUse === idle));
  });
});
