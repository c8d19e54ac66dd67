// A Prisma.Sql with its parameters written into the text as literals, for the one statement that
// cannot take parameters: `COPY (query) TO STDOUT` (the export's single-statement path). Only the
// value types the query builders bind are accepted; anything else is refused rather than guessed.
import type { Prisma } from '../generated/prisma/client.js';

export function inlineSql(sql: Prisma.Sql): string {
  let text = sql.strings[0] ?? '';
  sql.values.forEach((value, i) => {
    text += literal(value) + (sql.strings[i + 1] ?? '');
  });
  return text;
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  // The exact instant, whatever the session's TimeZone (a bound Date is the same instant).
  if (value instanceof Date && !Number.isNaN(value.getTime())) return `timestamptz '${value.toISOString()}'`;
  // Typed, so that an empty array is valid too; the builders add their own cast after it.
  if (Array.isArray(value)) return `(ARRAY[${value.map(literal).join(', ')}]::text[])`;
  throw new Error(`inlineSql: cannot write a ${typeof value} parameter as a literal`);
}

/**
 * A string literal, valid whatever standard_conforming_strings says: with a backslash inside, an
 * E'' literal with backslashes doubled (as pg's escapeLiteral writes it). Text cannot hold NUL.
 */
function quote(value: string): string {
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? ` E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
