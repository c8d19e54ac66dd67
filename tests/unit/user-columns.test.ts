// The users column map's derived shapes, without a database: the import row JSON carries exactly
// the columns the writer's recordset declares, and a raw row of another shape is a clear error.
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';
import { RowShapeError } from '../../src/errors.js';
import { IMPORT_COLUMNS, parseHeader, toCandidate } from '../../src/users/import/import.column.js';
import { IMPORTED_FIELDS, importCopyCells, importCopyRowJson, importRecordset, importRowJson, recordSchema } from '../../src/users/user.columns.js';

describe('import row JSON', () => {
  it('a row giving every imported column becomes JSON with exactly the columns of the recordset', () => {
    const header = IMPORT_COLUMNS.filter((c) => c !== 'password'); // password and passwordHash exclude each other
    const values: Record<(typeof header)[number], string> = {
      email: 'Ada@Example.test',
      name: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      phoneNumber: '+442079460958',
      avatarUrl: 'https://example.test/ada.png',
      role: 'viewer',
      isActive: 'no',
      isEmailVerified: 'yes',
      passwordHash: '$2b$04$abcdefghijklmnopqrstuuR2B2P9W4lB.wZh6cN2ZpF7w1FvYqJ7a',
      externalId: 'crm-42',
      attributes: '{"plan":"pro","flags":{"beta":true}}',
    };
    const result = toCandidate(
      parseHeader([...header]),
      header.map((c) => values[c]),
      2,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const json = JSON.parse(importRowJson(result.candidate)) as Record<string, unknown>;
    const declared = /AS v\((.*)\)$/s
      .exec(importRecordset('[]').text)![1]!
      .split(', ')
      .map((c) => c.split(' ')[0]!.replace(/"/g, ''));
    expect(Object.keys(json).sort()).toEqual([...declared].sort());
    expect(declared).toEqual([...IMPORTED_FIELDS, 'row']);
    expect(json).toMatchObject({
      row: 2,
      email: 'ada@example.test',
      role: 'VIEWER',
      isActive: false,
      isEmailVerified: true,
      firstName: 'Ada',
      externalId: 'crm-42',
      attributes: { plan: 'pro', flags: { beta: true } },
    });
  });

  it('refuses an attributes cell that is not a JSON object within the limits, naming the problem', () => {
    const layout = parseHeader(['email', 'attributes']);
    const cell = (value: string) => toCandidate(layout, ['b@example.test', value], 2);
    const problem = (value: string) => {
      const result = cell(value);
      return result.ok ? 'ok' : `${result.errors[0]!.field}: ${result.errors[0]!.message}`;
    };
    expect(problem('{"plan": "pro"}')).toBe('ok');
    expect(problem('plan=pro')).toBe('attributes: must be a JSON object');
    expect(problem('[1,2]')).toBe('attributes: must be a JSON object');
    expect(problem('{"bad key": 1}')).toMatch(/^attributes: key "bad key" must be/);
    expect(problem(JSON.stringify({ a: { b: { c: { d: { e: 1 } } } } }))).toBe('ok'); // five objects deep
    expect(problem(JSON.stringify({ a: { b: { c: { d: { e: [1] } } } } }))).toMatch(/^attributes: must be nested at most 5 levels deep \(at a.b.c.d.e\)/);
  });

  it('never carries a plaintext password', () => {
    const layout = parseHeader(['email', 'password']);
    const result = toCandidate(layout, ['b@example.test', 'correct horse battery'], 2);
    expect(result.ok && importRowJson(result.candidate)).not.toContain('correct horse');
  });
});

describe('import rows as COPY text', () => {
  const header = ['email', 'name', 'externalId', 'role', 'isActive', 'isEmailVerified', 'attributes'];
  const layout = parseHeader(header);
  const candidate = (cells: string[]) => {
    const result = toCandidate(layout, cells, 7);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.candidate;
  };

  it('escapes what COPY reads specially, one cell per imported column, and reads back to the same values', () => {
    const c = candidate([
      'a@example.test',
      'back\\slash \\N "q" é 🙂',
      'x\\y',
      'admin',
      'no',
      'yes',
      '{"t":"a\\tb\\nc\\rd\\\\e","gone":null,"o":{"n":null}}',
    ]);
    const cells = importCopyCells(c);
    expect(cells.split('\t')).toHaveLength(IMPORTED_FIELDS.length);
    expect(cells).not.toMatch(/[\n\r]/);
    expect(JSON.parse(importCopyRowJson(cells, 7))).toEqual({
      row: 7,
      email: 'a@example.test',
      name: 'back\\slash \\N "q" é 🙂',
      externalId: 'x\\y',
      role: 'ADMIN',
      isActive: false,
      isEmailVerified: true,
      attributes: { t: 'a\tb\nc\rd\\e', o: {} },
    });
  });

  it('gives absent values their defaults (or null), as the insert statement does', () => {
    const cells = importCopyCells(candidate(['b@example.test', '', '', '', '', '', '']));
    expect(JSON.parse(importCopyRowJson(cells, 3))).toEqual({
      row: 3,
      email: 'b@example.test',
      role: 'USER',
      isActive: true,
      isEmailVerified: false,
    });
  });
});

describe('raw rows', () => {
  const parse = rowsOf('users page', recordSchema(['id', 'createdAt', 'role']));

  it('passes rows of the expected shape through, extra columns dropped', () => {
    const createdAt = new Date();
    expect(parse([{ id: 'a', createdAt, role: 'ADMIN', _part: 0 }])).toEqual([{ id: 'a', createdAt, role: 'ADMIN' }]);
  });

  it('names the query, the row and the field of a row of another shape, without its values', () => {
    const rows = [
      { id: 'a', createdAt: new Date(), role: 'ADMIN' },
      { id: 'b', createdAt: '2026-01-01T00:00:00.000Z', role: 'secret-value' },
    ];
    expect(() => parse(rows)).toThrowError(RowShapeError);
    expect(() => parse(rows)).toThrowError(
      /^The users page query returned a row of an unexpected shape \(row 1, field createdAt\): .*date/,
    );
    expect(() => parse(rows)).not.toThrowError(/secret-value|2026/);
    expect(() => parse(null)).toThrowError(/\(the result\)/);
  });
});
