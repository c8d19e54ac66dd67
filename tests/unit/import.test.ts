// Pure pieces of import/export: header rules, row rules, the record reader across awkward chunk
// boundaries, the duplicate tracker, and CSV cell escaping.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../testkit/export-oracle.js';
import { parseHeader, toCandidate } from '../../src/users/import/import.column.js';
import { ImportFailedError } from '../../src/users/import/import.error.js';
import { readRecords } from '../../src/users/import/import.source.js';
import { SeenEmails } from '../../src/users/import/seen-email.set.js';

async function records(chunks: (string | Buffer)[], max = 1_000_000): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of readRecords(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), max)) out.push(...batch);
  return out;
}

async function failure(chunks: string[], max = 1_000_000): Promise<ImportFailedError> {
  try {
    await records(chunks, max);
  } catch (error) {
    if (error instanceof ImportFailedError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('parseHeader', () => {
  it('maps names case-insensitively and ignores export-only columns', () => {
    const layout = parseHeader([' EMAIL ', 'PasswordHash', 'createdAt', 'ID']);
    expect(layout.columns).toEqual(['email', 'passwordHash', null, null]);
    expect([...layout.present]).toEqual(['email', 'passwordHash']);
  });

  it('names unknown, unnamed and missing columns in one failure', () => {
    expect(() => parseHeader(['name', 'nick', ''])).toThrowError(/Unknown columns: "nick", \(column 3 has no name\); the required column "email" is missing/);
  });
});

describe('toCandidate', () => {
  const layout = parseHeader(['email', 'name', 'isActive', 'role', 'password']);

  it('normalises like createUser and treats blank role/flags/password as not given', () => {
    const result = toCandidate(layout, [' Ada@Example.TEST ', '  Ada  ', '', '', ''], 2);
    expect(result).toEqual({ ok: true, candidate: { row: 2, email: 'ada@example.test', text: { name: 'Ada' } } });
  });

  it('removes the apostrophe an export adds before a formula character, and only that one', () => {
    const result = toCandidate(layout, ['a@example.test', "''=x", 'No', 'viewer', "'+secret-password"], 2);
    expect(result.ok && result.candidate).toMatchObject({ text: { name: "'=x" }, isActive: false, role: 'VIEWER', password: '+secret-password' });
  });
});

describe('readRecords', () => {
  it('reads quoted fields split at every awkward boundary the same as in one piece', async () => {
    const text = 'email,name\r\na@x.test,"say ""hi"", ok"\r\nb@x.test, "multi\nline" \r\n\r\nc@x.test,Robert "Bob" Smith\n';
    const whole = await records([text]);
    expect(whole).toEqual([['email', 'name'], ['a@x.test', 'say "hi", ok'], ['b@x.test', 'multi\nline'], [], ['c@x.test', 'Robert "Bob" Smith']]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await records([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
  });

  it('splits a multi-byte character across chunks and strips a BOM', async () => {
    const bytes = Buffer.from('\uFEFFemail,name\nj@x.test,José\n');
    expect(await records([bytes.subarray(0, 1), bytes.subarray(1, 26), bytes.subarray(26)])).toEqual([['email', 'name'], ['j@x.test', 'José']]);
  });

  it('names the row of an unclosed quote, of text after a closing quote, and of an overlong record', async () => {
    expect((await failure(['email\n"a\n', 'b\nc\n'])).message).toBe('Row 2: a quoted field that starts in this row is never closed (unbalanced quotes)');
    expect((await failure(['email\nx\n"a"', 'b\n'])).message).toMatch(/^Row 3: unexpected text after a closing quote/);
    const long = await failure(['email\nx\n', `"${'y'.repeat(50)}`, 'y'.repeat(50)], 80);
    expect(long.code).toBe('IMPORT_ROW_TOO_LONG');
    expect(long.message).toMatch(/^Row 3: the record is longer than 80 characters \(probably a quote that is never closed\)/);
  });
});

describe('SeenEmails', () => {
  it('returns the first row of a repeated email, across growth', () => {
    const seen = new SeenEmails(16);
    for (let i = 0; i < 100_000; i++) expect(seen.claim(`user${i}@x.test`, i + 2)).toBe(0);
    expect(seen.claim('user0@x.test', 200_000)).toBe(2);
    expect(seen.claim('user99999@x.test', 200_001)).toBe(100_001);
  });
});

describe('csvCell', () => {
  it('quotes what needs quoting and neutralises formula starts', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678Z');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell("'-1")).toBe("''-1");
    expect(csvCell("it's")).toBe("it's");
  });
});
