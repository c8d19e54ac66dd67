// The reference the database renderer of exports (src/users/export/export.sql.ts) must match
// byte for byte: the JS renderer the service used before rendering moved into SQL, reading rows
// as objects. It is a test oracle, not service code: tests/api/export.render.test.ts renders the
// same rows both ways and compares the bytes.
import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { EXPORT_COLUMNS, FIELD_KEYS, type ExportFormat, type ExportRow, type ExportedKey, type KeysetPosition, type UserField } from '../../src/users/export/export.model.js';
import type { UserFilter } from '../../src/users/listing/listing.model.js';
import { filterConditions, statusExpression } from '../../src/users/listing/listing.sql.js';
import { selectList } from '../../src/users/user.columns.js';

export interface JsSerializer {
  head: string;
  rows(users: readonly ExportRow[], first: boolean): string;
  tail: string;
}

/** CSV per RFC 4180 (CRLF, quotes doubled) with the formula prefix; JSON and NDJSON via JSON.stringify. */
export function serializer(format: ExportFormat, fields: readonly UserField[]): JsSerializer {
  const keys = fields.map((f) => FIELD_KEYS[f]);
  switch (format) {
    case 'CSV':
      return {
        head: `${keys.join(',')}\r\n`,
        rows: (users) => users.map((user) => `${keys.map((k) => csvCell(user[k])).join(',')}\r\n`).join(''),
        tail: '',
      };
    case 'JSON':
      return {
        head: '[',
        rows: (users, first) => users.map((user, i) => `${first && i === 0 ? '\n' : ',\n'}${jsonLine(user, keys)}`).join(''),
        tail: '\n]\n',
      };
    case 'NDJSON':
      return {
        head: '',
        rows: (users) => users.map((user) => `${jsonLine(user, keys)}\n`).join(''),
        tail: '',
      };
  }
}

const FORMULA = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV cell: OWASP's formula prefix (an apostrophe), then RFC 4180 quoting. */
export function csvCell(value: ExportRow[ExportedKey]): string {
  if (value === null || value === undefined) return '';
  // attributes: jsonb's own text, as the database writes it.
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? (jsonbText(value) ?? '') : String(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A JSON line: JSON.stringify of the picked fields, except attributes, which the database writes
 * as jsonb's own text (a space after each colon and comma) rather than re-serializing it.
 */
function jsonLine(user: ExportRow, keys: readonly ExportedKey[]): string {
  return `{${keys.map((k) => `${JSON.stringify(k)}:${k === 'attributes' ? (jsonbText(user[k]) ?? 'null') : JSON.stringify(user[k])}`).join(',')}}`;
}

/** jsonb's text output of a value read back as JS (its key order is jsonb's, kept by the parse). */
function jsonbText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return `[${value.map((v) => jsonbText(v) ?? 'null').join(', ')}]`;
  if (typeof value === 'object' && !(value instanceof Date)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsonbText(v) ?? 'null'}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The next `limit` users after `after` in (createdAt, id) order, with only `fields` selected, as
 * objects: the same WHERE, order and limit as ExportsRepository.renderedBatch. The keyset columns
 * come back as `_createdAt` and `_id`, whatever was picked.
 */
export function batch(
  prisma: PrismaClient,
  filter: UserFilter,
  now: Date,
  fields: readonly UserField[],
  after: KeysetPosition | null,
  limit: number,
): Promise<ExportRow[]> {
  const where = filterConditions(filter, now);
  if (after) where.push(Prisma.sql`(u.created_at, u.id) > (${after.createdAt}, ${after.id}::uuid)`);
  const selected = fields.map((f) => (f === 'STATUS' ? Prisma.sql`${statusExpression(now)} AS "status"` : Prisma.raw(selectList([EXPORT_COLUMNS[f]]))));
  const columns = Prisma.join([...selected, Prisma.raw('u.created_at AS "_createdAt"'), Prisma.raw('u.id::text AS "_id"')], ', ');
  return prisma.$queryRaw<ExportRow[]>`
    SELECT ${columns} FROM users u
    WHERE ${Prisma.join(where, ' AND ')}
    ORDER BY u.created_at, u.id
    LIMIT ${limit}`;
}
