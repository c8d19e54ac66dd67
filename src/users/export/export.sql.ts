// SQL that renders export lines inside the database, byte for byte what the JS renderer in
// tests/testkit/export-oracle.ts renders (the reference: tests/api/export.render.test.ts compares
// the two). Which columns exist and how each renders comes from the users column map.
// Profiling showed that turning rows into objects (driver, Prisma) and back into text (JS)
// dominated an export; PostgreSQL renders a batch into one text value for a fraction of that,
// and the service only copies it to the socket.
//
// Each rule below mirrors one of the oracle's:
// - timestamps: Date#toISOString(), i.e. UTC with milliseconds and a Z (the columns are
//   timestamptz(3), so nothing is rounded); `AT TIME ZONE 'UTC'` makes it independent of the
//   session's TimeZone.
// - JSON strings: to_json(text) escapes exactly what JSON.stringify does (" \ \b \f \n \r \t,
//   other controls as lowercase \u00xx, everything else verbatim); keys are written in the order
//   of `fields`, compactly, as JSON.stringify does (json_build_object would add spaces).
// - CSV: csvCell(): the formula prefix (FORMULA), then RFC 4180 quoting (NEEDS_QUOTES). JS `\s`
//   is spelled out because PostgreSQL's `\s` follows the server locale and, under C.UTF-8,
//   leaves out no-break spaces and the BOM that JS counts.
import { Prisma } from '../../generated/prisma/client.js';
import { columnSpec, readExpression, statusAt, type RecordField, type RenderKind } from '../user.columns.js';
import type { UserFilter } from '../listing/listing.model.js';
import { filterConditions } from '../listing/listing.sql.js';
import { EXPORT_COLUMNS, FIELD_KEYS, type ExportFormat, type KeysetPosition, type UserField } from './export.model.js';

type Sql = Prisma.Sql;
type Kind = RenderKind;

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A stored column as its render kind (users column map) wants it: booleans as their text. */
function exported(field: RecordField): { sql: string; kind: Kind } {
  const kind = columnSpec(field).render;
  if (!kind) throw new Error(`users.${field} is not exportable`);
  return { sql: kind === 'safe' || kind === 'json' ? `${readExpression(field)}::text` : readExpression(field), kind };
}

// The JS patterns of csvCell(), as PostgreSQL regular expressions (standard_conforming_strings
// is on: backslashes reach the regex engine as written).
const JS_SPACE = String.raw`[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]`;
const FORMULA = String.raw`'^''*[-=+@\t\r]'`;
const NEEDS_QUOTES = `'[",\\r\\n]|^${JS_SPACE}|${JS_SPACE}$'`;
// After the apostrophe is added the cell no longer starts with whitespace, so only these remain.
const NEEDS_QUOTES_AFTER_PREFIX = `'[",\\r\\n]|${JS_SPACE}$'`;

function csvCell(sql: string, kind: Kind): string {
  switch (kind) {
    case 'safe':
    case 'quoted':
      return sql;
    case 'int':
      // String(-1) starts with "-": the JS renderer neutralises it like any formula.
      return `CASE WHEN ${sql} < 0 THEN '''' || ${sql}::text ELSE ${sql}::text END`;
    case 'time':
      // An ISO timestamp starts with a digit and holds no character that needs quoting.
      return `coalesce(${ISO(sql)}, '')`;
    case 'text':
    case 'json':
      // The first branch is a shortcut for the usual cell, one that starts with a letter (no
      // formula, no leading space) and holds nothing to quote: one cheap test instead of two
      // regular expressions. The branches after it decide every cell alone.
      return `CASE
        WHEN ${sql} IS NULL THEN ''
        WHEN ascii(${sql}) BETWEEN 65 AND 159 AND ${sql} !~ ${NEEDS_QUOTES_AFTER_PREFIX} THEN ${sql}
        WHEN ${sql} ~ ${FORMULA} THEN
          CASE WHEN ${sql} ~ ${NEEDS_QUOTES_AFTER_PREFIX} THEN '"''' || replace(${sql}, '"', '""') || '"' ELSE '''' || ${sql} END
        WHEN ${sql} ~ ${NEEDS_QUOTES} THEN '"' || replace(${sql}, '"', '""') || '"'
        ELSE ${sql} END`;
  }
}

function jsonValue(sql: string, kind: Kind, escape: boolean): string {
  switch (kind) {
    case 'safe':
      return sql;
    case 'int':
      return `${sql}::text`;
    case 'quoted':
      return `'"' || ${sql} || '"'`;
    case 'time':
      return `coalesce('"' || ${ISO(sql)} || '"', 'null')`;
    case 'json':
      // jsonb's own text: valid JSON as it is (with a space after each colon and comma).
      return `coalesce(${sql}, 'null')`;
    case 'text':
      return escape ? `coalesce(to_json(${sql})::text, 'null')` : `coalesce('"' || ${sql} || '"', 'null')`;
  }
}

// What JSON must escape in a string: the quote, the backslash and the control characters (text
// cannot hold NUL).
const JSON_ESCAPED = String.raw`'[\x01-\x1f"\\]'`;

/**
 * The listing's status expression at `now`, the moment the export was asked for. Lines here are
 * raw text, so `now` goes in as a literal (an ISO string the server made, never input) and the
 * expression, having no parameters, as its text.
 */
function statusColumn(now: Date): { sql: string; kind: Kind } {
  return { sql: `(${statusAt(Prisma.raw(`timestamptz '${now.toISOString()}'`)).text})`, kind: 'quoted' };
}

/** One file line (without its line break) for one user row `u`, as a text expression. */
export function lineExpression(format: ExportFormat, fields: readonly UserField[], now: Date): Sql {
  const status = statusColumn(now);
  const column = (f: UserField) => (f === 'STATUS' ? status : exported(EXPORT_COLUMNS[f]));
  if (format === 'CSV') {
    return Prisma.raw(fields.length ? fields.map((f) => csvCell(column(f).sql, column(f).kind)).join(` || ',' || `) : `''`);
  }
  if (!fields.length) return Prisma.raw(`'{}'`);
  // Keys are the fixed identifiers of FIELD_KEYS, so they need no JSON escaping.
  const line = (escape: boolean) =>
    `${fields.map((f, i) => `'${i === 0 ? '{' : ','}"${FIELD_KEYS[f]}":' || ${jsonValue(column(f).sql, column(f).kind, escape)}`).join(' || ')} || '}'`;
  const texts = fields.filter((f) => column(f).kind === 'text').map((f) => column(f).sql);
  if (!texts.length) return Prisma.raw(line(false));
  // Most rows have nothing to escape in any of their strings: one test over all of them (concat
  // skips nulls) lets those be written between plain quotes, cheaper than to_json per value.
  return Prisma.raw(`CASE WHEN concat(${texts.join(', ')}) ~ ${JSON_ESCAPED} THEN ${line(true)} ELSE ${line(false)} END`);
}

/** What goes between two lines of one batch. */
export const LINE_SEPARATOR: Record<ExportFormat, string> = { CSV: '\r\n', JSON: ',\n', NDJSON: '\n' };

/** JSON separates objects with a comma, so the comma goes before a line, not after. */
function lineEnd(format: ExportFormat): string {
  return format === 'JSON' ? '' : LINE_SEPARATOR[format];
}

/**
 * What a stream of lines puts between two lines and after each, so that it writes what a batch
 * writes (LINE_SEPARATOR between its lines, lineEnd after the last).
 */
export function lineFraming(format: ExportFormat): { between: string; after: string } {
  const after = lineEnd(format);
  return after ? { between: '', after } : { between: LINE_SEPARATOR[format], after: '' };
}

/**
 * The next `limit` users after `after` in (createdAt, id) order (or, with `until`, the users up to
 * that position, inclusive, and no limit), rendered as `format` lines of `fields` and aggregated
 * into one text value, with the batch's row count and last position.
 */
export function renderedBatchQuery(
  format: ExportFormat,
  filter: UserFilter,
  now: Date,
  fields: readonly UserField[],
  after: KeysetPosition | null,
  limit: number,
  until: KeysetPosition | null,
): Sql {
  const where = filterConditions(filter, now);
  if (after) where.push(Prisma.sql`(u.created_at, u.id) > (${after.createdAt}, ${after.id}::uuid)`);
  if (until) where.push(Prisma.sql`(u.created_at, u.id) <= (${until.createdAt}, ${until.id}::uuid)`);
  // A range is not cut at `limit`: a user created meanwhile inside it is not silently dropped.
  const limitSql = until ? Prisma.empty : Prisma.sql`LIMIT ${limit}`;
  // The aggregates take their rows in the subquery's order, with no ORDER BY of their own: an
  // ordered aggregate sorts its input again, whatever order it arrives in, and a batch of lines
  // (a few MB) is larger than work_mem, so that sort spilled to temporary files (~30 µs a row,
  // a third of a batch's time). A plain aggregate over an ordered subquery (no GROUP BY, no join,
  // no parallel workers: see ExportsRepository.renderedBatch) reads it in order, which PostgreSQL
  // documents as the way to feed string_agg sorted input; the export tests cross batches and
  // compare whole files with the JS oracle. The last key is the array's last element.
  return Prisma.sql`
      SELECT string_agg(b.line, ${LINE_SEPARATOR[format]}::text) || ${lineEnd(format)}::text AS "text",
             count(*)::int AS "rows",
             max(b.created_at) AS "lastCreatedAt",
             (array_agg(b.id))[count(*)]::text AS "lastId"
      FROM (
        SELECT ${lineExpression(format, fields, now)} AS line, u.created_at, u.id FROM users u
        WHERE ${Prisma.join(where, ' AND ')}
        ORDER BY u.created_at, u.id
        ${limitSql}
      ) b`;
}

/** The position of the limit-th user after `after` (see ExportsRepository.batchEnd for `walk`). */
export function batchEndQuery(filter: UserFilter, now: Date, after: KeysetPosition | null, limit: number, walk: 'matching' | 'all'): Sql {
  const where = walk === 'matching' ? filterConditions(filter, now) : [];
  if (after) where.push(Prisma.sql`(u.created_at, u.id) > (${after.createdAt}, ${after.id}::uuid)`);
  return Prisma.sql`
      SELECT u.created_at AS "createdAt", u.id::text AS id FROM users u
      ${where.length ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty}
      ORDER BY u.created_at, u.id
      OFFSET ${limit - 1} LIMIT 1`;
}

/**
 * Every user the filter selects, in (createdAt, id) order, as one line each (the same line
 * expression as a batch): the query of the export's single COPY (ExportsRepository.copyLines).
 * One statement reads one snapshot, and no aggregate gathers the lines: they leave as they are
 * rendered. COPY takes no parameters; the repository writes them in as literals.
 */
export function copyLinesQuery(format: ExportFormat, filter: UserFilter, now: Date, fields: readonly UserField[]): Sql {
  return Prisma.sql`
      SELECT ${lineExpression(format, fields, now)} AS line FROM users u
      WHERE ${Prisma.join(filterConditions(filter, now), ' AND ')}
      ORDER BY u.created_at, u.id`;
}
