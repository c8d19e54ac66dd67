// CSV import over the GraphQL multipart request, as a client sees it: counters, row errors with
// row and field, modes, dry runs, chunked commits, cancellation, progress, and who may import.
import bcrypt from 'bcryptjs';
import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CancelUserImportDocument,
  UserByEmailDocument,
  UserImportDocument,
  UserImportProgressDocument,
  type ImportFieldsFragment,
} from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser, uniqueEmail } from '../testkit/seed.js';
import { csv, slowUpload, uploadCsv } from '../testkit/upload.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const CHUNK = 5_000; // tuning.import.chunkRows (src/config.ts)

async function findUser(email: string) {
  return (await t.admin.execute(UserByEmailDocument, { email })).expectData().userByEmail;
}

function emails(prefix: string, n: number): string[] {
  const tag = uniqueEmail(prefix).split('@')[0]!;
  return Array.from({ length: n }, (_, i) => `${tag}.${i}@example.test`);
}

describe('importUsers', () => {
  it('imports every column: BOM, CRLF, mixed-case headers, quoted commas, quotes and newlines', async () => {
    const [a, b, c] = emails('full', 3);
    const hash = bcrypt.hashSync('hash-password-1', 4).replace(/^\$2b\$/, '$2y$');
    const file =
      '\uFEFF' +
      csv(
        [
          ['EMAIL', 'Name', 'firstname', 'LastName', 'phoneNumber', 'avatarUrl', 'role', 'isActive', 'isEmailVerified', 'password', 'passwordHash'],
          [a!.toUpperCase(), 'Lovelace, Ada', 'Ada', 'Lovelace', '+44 20 7946 0958', 'https://x.test/a.png', 'viewer', 'true', 'yes', 'plain\npassword-1', ''],
          // Names refuse control characters (newlines too), so the quoted newline is in a password.
          [b!, 'Say "hi", twice', '', '', '', '', 'ADMIN', 'false', '0', '', hash],
          [c!, '', '', '', '', '', '', '', '', '', ''],
        ],
        '\r\n',
      );
    const result = (await uploadCsv(t.admin, file, { filename: 'people.csv' })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', filename: 'people.csv', mode: 'INSERT', totalRows: 3, processedRows: 3, created: 3, failed: 0, lastCommittedRow: 4, failure: null });
    expect(result.errors).toEqual([]);

    const ada = await findUser(a!);
    expect(ada).toMatchObject({ email: a, name: 'Lovelace, Ada', firstName: 'Ada', lastName: 'Lovelace', phoneNumber: '+442079460958', role: 'VIEWER', isActive: true, isEmailVerified: true });
    expect(await findUser(b!)).toMatchObject({ name: 'Say "hi", twice', firstName: null, role: 'ADMIN', isActive: false, isEmailVerified: false });
    expect(await findUser(c!)).toMatchObject({ role: 'USER', isActive: true, isEmailVerified: false, name: null });

    // Plaintext was hashed (on the worker pool); the given $2y$ hash was stored as it is.
    await t.anonymous.login(a!, 'plain\npassword-1');
    const login = await t.anonymous.execute('mutation($e: String!) { login(email: $e, password: "hash-password-1") { accessToken } }', { e: b });
    login.expectError('UNAUTHENTICATED'); // b is inactive: the hash was stored, the policy refuses
  });

  it('reports every bad row with its row number, field and code, and writes the good rows', async () => {
    const [ok1, ok2, dup] = emails('rows', 3);
    const file = csv([
      ['email', 'phoneNumber', 'role', 'isActive', 'password', 'avatarUrl'],
      [ok1!, '', '', '', '', ''],
      ['not-an-email', '12345', 'OWNER', 'maybe', 'short', 'ftp://x.test/a'],
      ['', '', '', '', '', ''],
      [dup!, '', '', '', '', ''],
      [dup!.toUpperCase(), '', '', '', '', ''],
      [ok2!, '', '', '', '', ''],
    ]);
    const result = (await uploadCsv(t.admin, file, { first: 50 })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', totalRows: 6, processedRows: 6, created: 3, failed: 3 });
    const byRow = result.errors.map((e) => `${e.row}:${e.field}:${e.code}`);
    expect(byRow).toEqual(
      expect.arrayContaining([
        '3:email:INVALID_VALUE',
        '3:phoneNumber:INVALID_VALUE',
        '3:role:INVALID_VALUE',
        '3:isActive:INVALID_VALUE',
        '3:password:INVALID_VALUE',
        '3:avatarUrl:INVALID_VALUE',
        '4:email:REQUIRED',
        '6:email:DUPLICATE_IN_FILE',
      ]),
    );
    expect(result.errorCount).toBe(byRow.length);
    expect(result.errors.find((e) => e.code === 'DUPLICATE_IN_FILE')).toMatchObject({ email: dup, message: 'the same email is in row 5' });
    expect(result.errors.find((e) => e.field === 'phoneNumber')?.message).toMatch(/E\.164/);
    expect(await findUser(ok2!)).not.toBeNull();
    expect(await findUser(dup!)).not.toBeNull();
  });

  it('INSERT reports an existing email as EMAIL_TAKEN; SKIP_EXISTING skips it; neither changes the user', async () => {
    const existing = await createUser(t.admin, { name: 'Original' });
    const [fresh1, fresh2] = emails('modes', 2);
    const insert = (await uploadCsv(t.admin, csv([['email', 'name'], [existing.email, 'Changed'], [fresh1!, 'New']]))).expectData().importUsers;
    expect(insert).toMatchObject({ created: 1, failed: 1, skipped: 0 });
    expect(insert.errors).toEqual([{ row: 2, email: existing.email, field: 'email', code: 'EMAIL_TAKEN', message: 'a user with this email already exists' }]);

    const skip = (await uploadCsv(t.admin, csv([['email', 'name'], [existing.email, 'Changed'], [fresh2!, 'New']]), { options: { mode: 'SKIP_EXISTING' } })).expectData()
      .importUsers;
    expect(skip).toMatchObject({ mode: 'SKIP_EXISTING', created: 1, skipped: 1, failed: 0, errors: [] });
    expect((await findUser(existing.email))?.name).toBe('Original');
  });

  // On PostgreSQL an INSERT chunk is written with COPY (user-row.repository.ts): its text format
  // escapes backslashes, tabs and line breaks (a lone \N is a null), and new users' attributes lose their null members
  // as users_json_merge_patch(NULL, …) drops them; a chunk with a taken externalId or email falls
  // back to the statements, which report exactly those rows.
  it('INSERT writes backslashes, tabs and line breaks as given, attributes without nulls, and reports taken values exactly', async () => {
    const [a, b, c] = emails('copy', 3);
    const externalId = `ext-${a}`;
    (await uploadCsv(t.admin, csv([['email', 'externalId'], [c!, externalId]]))).expectData();
    // A name cannot hold control characters (they are row errors), an attributes string can.
    const name = 'back\\slash \\N \\t';
    const first = (
      await uploadCsv(t.admin, csv([['email', 'name', 'attributes'], [a!, name, '{"plan":"pro","gone":null,"flags":{"beta":true,"old":null},"list":[1,null],"note":"tab\\there\\r\\nline \\\\N"}']]))
    ).expectData().importUsers;
    expect(first).toMatchObject({ status: 'SUCCEEDED', created: 1, failed: 0 });
    const read = await t.admin.execute<{ userByEmail: { name: string; attributes: unknown; role: string; isActive: boolean; isEmailVerified: boolean; externalId: string | null } }>(
      'query($email: String!) { userByEmail(email: $email) { name attributes role isActive isEmailVerified externalId } }',
      { email: a },
    );
    expect(read.expectData().userByEmail).toEqual({
      name,
      attributes: { plan: 'pro', flags: { beta: true }, list: [1, null], note: 'tab\there\r\nline \\N' },
      role: 'USER',
      isActive: true,
      isEmailVerified: false,
      externalId: null,
    });
    const taken = (await uploadCsv(t.admin, csv([['email', 'externalId'], [b!, externalId], [`x.${b!}`, `ext-${b}`]]))).expectData().importUsers;
    expect(taken).toMatchObject({ status: 'SUCCEEDED', created: 1, failed: 1 });
    expect(taken.errors.map((e) => [e.row, e.field, e.code])).toEqual([[2, 'externalId', 'EXTERNAL_ID_TAKEN']]);
    expect(await findUser(b!)).toBeNull();
  });

  // A chunk kept as COPY text that meets a taken email goes back to the statements, its rows
  // converted from COPY text to the statements' JSON: every value must come out as the file gave
  // it, and the chunk must not keep anything of its failed COPY (each new user exactly once).
  it('INSERT with an existing email mid-chunk: that row is EMAIL_TAKEN, the others are written once with their exact values', async () => {
    const existing = await createUser(t.admin, { name: 'Original' });
    const [a, b] = emails('fallback', 2);
    const attributes =
      '{"note":"tab\\there\\r\\nnew \\\\N \\\\. \\"q\\" é ✓ 𝄞","gone":null,"nested":{"x":null,"y":[1,null,"\\\\"]}}';
    const file = csv([
      ['email', 'name', 'externalId', 'role', 'isActive', 'isEmailVerified', 'attributes'],
      [a!, 'Zoë "Q" \\N back\\slash 日本 🙂', `ext\\${a}`, 'viewer', 'false', 'yes', attributes],
      [existing.email, 'Changed', '', '', '', '', ''],
      [b!, '', '', '', '', '', ''],
    ]);
    const result = (await uploadCsv(t.admin, file)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 2, failed: 1, lastCommittedRow: 4 });
    expect(result.errors).toEqual([
      { row: 3, email: existing.email, field: 'email', code: 'EMAIL_TAKEN', message: 'a user with this email already exists' },
    ]);
    const read = (email: string) =>
      t.admin.execute<{
        userByEmail: {
          name: string | null;
          attributes: unknown;
          role: string;
          isActive: boolean;
          isEmailVerified: boolean;
          externalId: string | null;
        };
      }>('query($email: String!) { userByEmail(email: $email) { name attributes role isActive isEmailVerified externalId } }', {
        email,
      });
    expect((await read(a!)).expectData().userByEmail).toEqual({
      name: 'Zoë "Q" \\N back\\slash 日本 🙂',
      attributes: { note: 'tab\there\r\nnew \\N \\. "q" é ✓ 𝄞', nested: { y: [1, null, '\\'] } },
      role: 'VIEWER',
      isActive: false,
      isEmailVerified: true,
      externalId: `ext\\${a}`,
    });
    expect((await read(b!)).expectData().userByEmail).toEqual({
      name: null,
      attributes: null,
      role: 'USER',
      isActive: true,
      isEmailVerified: false,
      externalId: null,
    });
    expect(await findUser(existing.email)).toMatchObject({ name: 'Original' });
    const count = await t.admin.execute<{ users: { totalCount: number } }>(
      'query($q: String!) { users(filter: { search: $q }) { totalCount } }',
      {
        q: a!.split('.0@')[0]!,
      },
    );
    expect(count.expectData().users.totalCount).toBe(2);
  });

  it('UPSERT updates only the columns in the file, keeps values for blank role/flags, and skips unchanged users', async () => {
    const user = await createUser(t.admin, { name: 'Before', firstName: 'Keep', role: 'VIEWER', phoneNumber: '+14155550123' });
    const unchanged = await createUser(t.admin, { name: 'Same' });
    const [fresh] = emails('upsert', 1);
    const file = csv([
      ['email', 'name', 'role', 'phoneNumber'],
      [user.email, 'After', '', ''],
      [unchanged.email, 'Same', '', ''],
      [fresh!, 'Fresh', 'admin', ''],
    ]);
    const result = (await uploadCsv(t.admin, file, { options: { mode: 'UPSERT' } })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 1, updated: 1, skipped: 1, failed: 0 });
    const after = await findUser(user.email);
    // name changed, firstName not in the file, role blank = keep, phoneNumber blank = clear.
    expect(after).toMatchObject({ name: 'After', firstName: 'Keep', role: 'VIEWER', phoneNumber: null, version: user.version + 1 });
    expect((await findUser(unchanged.email))?.version).toBe(unchanged.version);
    expect((await findUser(fresh!))?.role).toBe('ADMIN');
  });

  it('dryRun validates everything, reports what would happen, and writes no user', async () => {
    const existing = await createUser(t.admin);
    const [fresh] = emails('dry', 1);
    const file = csv([['email', 'password'], [fresh!, 'long-enough-1'], [existing.email, ''], ['bad', '']]);
    const result = (await uploadCsv(t.admin, file, { options: { dryRun: true } })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', dryRun: true, created: 1, failed: 2, processedRows: 3 });
    expect(result.errors.map((e) => e.code).sort()).toEqual(['EMAIL_TAKEN', 'INVALID_VALUE']);
    expect(await findUser(fresh!)).toBeNull();
  });

  it('fails the import before writing anything when the header has unknown, missing or repeated columns', async () => {
    const [e1] = emails('header', 1);
    const unknown = (await uploadCsv(t.admin, csv([['email', 'nickname', 'Shoe Size'], [e1!, 'x', '42']]))).expectData().importUsers;
    expect(unknown).toMatchObject({ status: 'FAILED', processedRows: 0, created: 0, failure: { code: 'IMPORT_UNKNOWN_COLUMNS' } });
    expect(unknown.failure?.message).toContain('"nickname", "Shoe Size"');

    const missing = (await uploadCsv(t.admin, csv([['name'], ['Ada']]))).expectData().importUsers;
    expect(missing.failure).toMatchObject({ code: 'IMPORT_MISSING_COLUMNS' });
    expect(missing.failure?.message).toContain('"email"');

    const twice = (await uploadCsv(t.admin, csv([['email', 'Email'], [e1!, e1!]]))).expectData().importUsers;
    expect(twice.failure?.code).toBe('IMPORT_DUPLICATE_COLUMNS');
    expect(await findUser(e1!)).toBeNull();
  });

  it('accepts the read-only columns an export writes (id, timestamps, version) and ignores them', async () => {
    const [e1] = emails('readonly', 1);
    const file = csv([['id', 'email', 'createdAt', 'version'], ['00000000-0000-4000-8000-000000000000', e1!, '2020-01-01T00:00:00.000Z', 7]]);
    const result = (await uploadCsv(t.admin, file)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 1 });
    const user = await findUser(e1!);
    expect(user?.version).toBe(1);
    expect(user?.id).not.toBe('00000000-0000-4000-8000-000000000000');
  });

  it('commits in chunks: a file that breaks after two chunks keeps exactly those rows and says so', async () => {
    const list = emails('chunks', 2 * CHUNK + 3);
    const body = csv([['email'], ...list.map((e) => [e])]) + '"never closed,\n' + list.map((e) => `late.${e}`).join('\n');
    const result = (await uploadCsv(t.admin, body)).expectData().importUsers;
    const badRow = 2 * CHUNK + 3 + 2; // header + data rows + 1
    expect(result).toMatchObject({ status: 'FAILED', failure: { code: 'IMPORT_MALFORMED_CSV' } });
    expect(result.failure?.message).toContain(`Row ${badRow}`);
    // Every complete chunk before the malformed record is committed, whatever the timing; the
    // report says exactly which rows were written.
    expect(result).toMatchObject({ processedRows: 2 * CHUNK, created: 2 * CHUNK, lastCommittedRow: 2 * CHUNK + 1 });
    expect(await findUser(list[0]!)).not.toBeNull();
    expect(await findUser(list[2 * CHUNK - 1]!)).not.toBeNull();
    // The three rows after the second chunk were parsed but never written.
    expect(await findUser(list[2 * CHUNK]!)).toBeNull();
    expect(await findUser(list[2 * CHUNK + 2]!)).toBeNull();
  });

  it('with wait: false returns RUNNING at once; progress arrives per chunk and ends with the final state', async () => {
    const list = emails('progress', 2 * CHUNK + 10);
    const started = (await uploadCsv(t.admin, csv([['email'], ...list.map((e) => [e])]), { options: { wait: false } })).expectData().importUsers;
    expect(started.status).toBe('RUNNING');

    const ws = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${t.admin.token}` }, lazy: true, retryAttempts: 0 });
    const seen: ImportFieldsFragment[] = [];
    try {
      for await (const message of ws.iterate<{ userImportProgress: ImportFieldsFragment }>({ query: print(UserImportProgressDocument), variables: { id: started.id } })) {
        expect(message.errors).toBeUndefined();
        seen.push(message.data!.userImportProgress);
      }
    } finally {
      await ws.dispose();
    }
    const last = seen[seen.length - 1]!;
    expect(last).toMatchObject({ status: 'SUCCEEDED', created: 2 * CHUNK + 10, processedRows: 2 * CHUNK + 10 });
    const processed = seen.map((s) => s.processedRows);
    expect([...processed].sort((a, b) => a - b)).toEqual(processed); // never goes backwards
    expect(seen.length).toBeGreaterThanOrEqual(2);

    const fetched = (await t.admin.execute(UserImportDocument, { id: started.id })).expectData().userImport;
    expect(fetched).toMatchObject({ status: 'SUCCEEDED', totalRows: 2 * CHUNK + 10 });
    expect(fetched?.finishedAt).toBeTruthy();
  });

  it('cancelUserImport stops a running import after its committed chunks; later rows are not written', async () => {
    const list = emails('cancel', 2 * CHUNK + 100);
    const firstPart = csv([['email'], ...list.slice(0, 2 * CHUNK).map((e) => [e])]);
    const rest = csv(list.slice(2 * CHUNK).map((e) => [e]));
    let importId = '';
    let cancelled: ImportFieldsFragment | undefined;
    const upload = slowUpload(t.admin, [firstPart, rest], { wait: false }, async () => {
      // The first two chunks have arrived: wait until both are committed, then cancel.
      importId = (await upload.response).expectData().importUsers.id;
      for (let i = 0; i < 300; i++) {
        const now = (await t.admin.execute(UserImportDocument, { id: importId })).expectData().userImport;
        if (now && now.processedRows >= 2 * CHUNK) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      cancelled = (await t.admin.execute(CancelUserImportDocument, { id: importId })).expectData().cancelUserImport;
    });
    await upload.finished.catch(() => undefined); // the server may close the socket mid-upload
    expect(cancelled).toMatchObject({ status: 'CANCELLED', processedRows: 2 * CHUNK, created: 2 * CHUNK, lastCommittedRow: 2 * CHUNK + 1 });
    const final = (await t.admin.execute(UserImportDocument, { id: importId })).expectData().userImport;
    expect(final).toMatchObject({ status: 'CANCELLED', failure: null, processedRows: 2 * CHUNK });
    expect(await findUser(list[2 * CHUNK - 1]!)).not.toBeNull();
    expect(await findUser(list[2 * CHUNK]!)).toBeNull();

    // Cancelling a finished import is a no-op that returns it.
    const again = (await t.admin.execute(CancelUserImportDocument, { id: importId })).expectData().cancelUserImport;
    expect(again.status).toBe('CANCELLED');
  });

  it('errors(first) returns the first errors in file order; errorCount counts them all', async () => {
    const file = csv([['email'], ...Array.from({ length: 30 }, (_, i) => [`bad-${i}`])]);
    const result = (await uploadCsv(t.admin, file, { first: 5 })).expectData().importUsers;
    expect(result.errorCount).toBe(30);
    expect(result.errors.map((e) => e.row)).toEqual([2, 3, 4, 5, 6]);
    const tooMany = await t.admin.execute(UserImportDocument, { id: result.id, first: 10_001 });
    expect(tooMany.expectError('BAD_USER_INPUT').extensions?.fields?.[0]?.field).toBe('first');
  });
});

describe('import access and protocol', () => {
  it('is ADMIN only: a VIEWER is refused importUsers, userImport and cancelUserImport', async () => {
    const { client } = await clientFor(t.admin, 'VIEWER');
    (await uploadCsv(client, csv([['email'], [uniqueEmail()]]))).expectError('FORBIDDEN');
    const id = '00000000-0000-4000-8000-000000000000';
    (await client.execute(UserImportDocument, { id })).expectError('FORBIDDEN');
    (await client.execute(CancelUserImportDocument, { id })).expectError('FORBIDDEN');
    (await uploadCsv(t.anonymous, csv([['email'], [uniqueEmail()]]))).expectError('UNAUTHENTICATED');
  });

  it('answers unknown and malformed import ids clearly', async () => {
    expect((await t.admin.execute(UserImportDocument, { id: '00000000-0000-4000-8000-000000000000' })).expectData().userImport).toBeNull();
    (await t.admin.execute(CancelUserImportDocument, { id: '00000000-0000-4000-8000-000000000000' })).expectError('IMPORT_NOT_FOUND');
    (await t.admin.execute(UserImportDocument, { id: 'nope' })).expectError('BAD_USER_INPUT');
  });

  it('refuses a multipart request without apollo-require-preflight (CSRF prevention)', async () => {
    const result = await uploadCsv(t.admin, csv([['email'], [uniqueEmail()]]), { headers: { authorization: `Bearer ${t.admin.token}` } });
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.message).toMatch(/apollo-require-preflight/);
  });

  it('accepts one file per request: a second file is UPLOAD_TOO_MANY_FILES', async () => {
    const result = await uploadCsv(t.admin, csv([['email'], [uniqueEmail()]]), { extraFiles: 1 });
    expect(result.status).toBe(413);
    result.expectError('UPLOAD_TOO_MANY_FILES');
  });
});
