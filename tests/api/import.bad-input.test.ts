// The bad inputs of issue 5 item 8, each with what the client sees. Every case also checks that
// nothing beyond committed chunks was written, and the file ends by checking the server is up.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserByEmailDocument, UserImportDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';
import { csv, uploadCsv } from '../testkit/upload.js';

const LIMIT = 2_000_000;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { UPLOAD_MAX_BYTES: String(LIMIT) } });
});
afterAll(async () => {
  await t?.stop();
});

async function exists(email: string): Promise<boolean> {
  return (await t.admin.execute(UserByEmailDocument, { email })).expectData().userByEmail !== null;
}

describe('bad input', () => {
  it('empty file: IMPORT_EMPTY_FILE', async () => {
    const result = (await uploadCsv(t.admin, '')).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', totalRows: 0, created: 0, failure: { code: 'IMPORT_EMPTY_FILE' } });
  });

  it('header only: IMPORT_NO_ROWS', async () => {
    const result = (await uploadCsv(t.admin, 'email,name\r\n')).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', failure: { code: 'IMPORT_NO_ROWS', message: 'The file has a header row but no data rows' } });
  });

  it('binary garbage: IMPORT_NOT_TEXT', async () => {
    const garbage = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]), randomBytes(4096)]);
    const result = (await uploadCsv(t.admin, garbage, { filename: 'photo.png' })).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', failure: { code: 'IMPORT_NOT_TEXT' } });
    expect(result.failure?.message).toMatch(/NUL byte at byte 9/);
  });

  it('a file far over the limit: 413 UPLOAD_TOO_LARGE at once, before the body is read; no import is started', async () => {
    const email = uniqueEmail('huge');
    const big = csv([['email', 'name'], [email, 'x'.repeat(5 * LIMIT)]]);
    const result = await uploadCsv(t.admin, big);
    expect(result.status).toBe(413);
    expect(result.expectError('UPLOAD_TOO_LARGE').extensions).toMatchObject({ limitBytes: LIMIT });
    expect(await exists(email)).toBe(false);
  });

  it('a file just over the limit: the import fails with UPLOAD_TOO_LARGE and writes nothing, not even its first rows', async () => {
    const first = uniqueEmail('over');
    const rows = [[first, '']];
    // Enough valid rows to fill a chunk before the limit is reached, then past the limit.
    for (let i = 0; i < 6_000; i++) rows.push([`over.${i}.${first}`, '']);
    rows.push([uniqueEmail('last'), 'y'.repeat(LIMIT)]);
    const result = (await uploadCsv(t.admin, csv([['email', 'name'], ...rows]))).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', processedRows: 0, created: 0, lastCommittedRow: 1, failure: { code: 'UPLOAD_TOO_LARGE' } });
    expect(await exists(first)).toBe(false);
  });

  it('semicolon-delimited file: IMPORT_WRONG_DELIMITER', async () => {
    const result = (await uploadCsv(t.admin, `email;name\n${uniqueEmail()};Ada\n`)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', failure: { code: 'IMPORT_WRONG_DELIMITER' } });
    expect(result.failure?.message).toMatch(/semicolons/);
  });

  it('unbalanced quotes: IMPORT_MALFORMED_CSV naming the row where the quote opens; nothing written', async () => {
    const [a, b, c] = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    const result = (await uploadCsv(t.admin, `email,name\n${a},ok\n${b},"Ada\n${c},Bob\n`)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'FAILED', created: 0, failure: { code: 'IMPORT_MALFORMED_CSV' } });
    expect(result.failure?.message).toBe('Row 3: a quoted field that starts in this row is never closed (unbalanced quotes)');
    expect(await exists(a)).toBe(false);

    const stray = (await uploadCsv(t.admin, `email,name\n${a},"Ada"Lovelace\n`)).expectData().importUsers;
    expect(stray.failure?.code).toBe('IMPORT_MALFORMED_CSV');
    expect(stray.failure?.message).toMatch(/^Row 2: unexpected text after a closing quote/);
  });

  it('a 1 MB cell: a row error on that field; the other rows are imported', async () => {
    const [a, b] = [uniqueEmail(), uniqueEmail()];
    const result = (await uploadCsv(t.admin, csv([['email', 'name'], [a, 'x'.repeat(1024 * 1024)], [b, 'Bob']]))).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 1, failed: 1 });
    expect(result.errors).toEqual([{ row: 2, email: a, field: 'name', code: 'INVALID_VALUE', message: 'must be at most 255 characters' }]);
    expect(await exists(b)).toBe(true);
  });

  it('formula and SQL-looking strings are stored as plain text (and the users table is intact)', async () => {
    const [a, b] = [uniqueEmail(), uniqueEmail()];
    const sql = "Robert'); DROP TABLE users;--";
    const result = (await uploadCsv(t.admin, csv([['email', 'name', 'lastName'], [a, '=HYPERLINK("http://evil.test")', sql], [b, '@SUM(A1:A2)', "' OR 1=1 --"]]))).expectData()
      .importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 2 });
    const user = (await t.admin.execute(UserByEmailDocument, { email: a })).expectData().userByEmail;
    expect(user).toMatchObject({ name: '=HYPERLINK("http://evil.test")', lastName: sql });
    expect((await t.admin.execute(UserByEmailDocument, { email: b })).expectData().userByEmail?.lastName).toBe("' OR 1=1 --");
  });

  it('invalid UTF-8: a row error (INVALID_ENCODING) naming the row and field; other rows imported', async () => {
    const [a, b] = [uniqueEmail(), uniqueEmail()];
    const bytes = Buffer.concat([Buffer.from(`email,name\n${a},Jos`), Buffer.from([0xc3, 0x28]), Buffer.from(`\n${b},José\n`)]);
    const result = (await uploadCsv(t.admin, bytes)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 1, failed: 1 });
    expect(result.errors).toEqual([{ row: 2, email: a, field: 'name', code: 'INVALID_ENCODING', message: 'is not valid UTF-8' }]);
    expect((await t.admin.execute(UserByEmailDocument, { email: b })).expectData().userByEmail?.name).toBe('José');
  });

  it('an invalid bcrypt hash: INVALID_PASSWORD_HASH on passwordHash', async () => {
    const [a, b] = [uniqueEmail(), uniqueEmail()];
    const result = (await uploadCsv(t.admin, csv([['email', 'passwordHash'], [a, '$2x$10$notarealhash'], [b, 'md5:5f4dcc3b5aa765d61d8327deb882cf99']]))).expectData().importUsers;
    expect(result).toMatchObject({ created: 0, failed: 2 });
    expect(result.errors.map((e) => `${e.row}:${e.field}:${e.code}`)).toEqual(['2:passwordHash:INVALID_PASSWORD_HASH', '3:passwordHash:INVALID_PASSWORD_HASH']);
    expect(await exists(a)).toBe(false);
  });

  it('a row with too many (or too few) columns: COLUMN_COUNT', async () => {
    const [a, b, c] = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    const result = (await uploadCsv(t.admin, `email,name\n${a},Ada,extra\n${b}\n${c},Cy\n`)).expectData().importUsers;
    expect(result).toMatchObject({ created: 1, failed: 2 });
    expect(result.errors).toEqual([
      { row: 2, email: a, field: 'row', code: 'COLUMN_COUNT', message: 'has 3 fields; the header has 2' },
      { row: 3, email: b, field: 'row', code: 'COLUMN_COUNT', message: 'has 1 field; the header has 2' },
    ]);
  });

  it('the server is still up and serving after all of the above', async () => {
    const health = await fetch(t.url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
    const ok = (await uploadCsv(t.admin, csv([['email'], [uniqueEmail()]]))).expectData().importUsers;
    expect(ok.status).toBe('SUCCEEDED');
    expect((await t.admin.execute(UserImportDocument, { id: ok.id })).expectData().userImport?.created).toBe(1);
  });
});
