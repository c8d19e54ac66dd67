// Opaque cursors: base64url JSON of the sort signature, the row's sort-key values and its id.
// The signature lets us refuse a cursor minted under a different orderBy instead of silently
// returning a wrong page.
//
// Decoding is strict: a cursor is accepted only if it could have been minted by encodeCursor,
// because its values go into SQL as typed parameters and the database refuses what JavaScript
// tolerates (Date.parse takes "1" and "2026-02-30"; PostgreSQL takes neither, and no text
// column takes NUL). A tampered cursor is BAD_USER_INPUT on `after`/`before`, never a 500.
import { BadUserInputError } from '../../errors.js';
import { controlFreeTextProblem, storableTextProblem } from '../../text.js';
import { isCanonicalUuid } from '../user.validation.js';
import type { Position, SortField, SortKey } from './listing.model.js';

/**
 * Longer than any cursor we mint (every sort key at once, at its longest: ~2,000 bytes of JSON,
 * ~2,700 characters of base64url), short enough that decoding a hostile one costs nothing.
 */
const MAX_CURSOR_LENGTH = 4096;
/** What Date#toISOString prints for years 0001–9999 (PostgreSQL has no year 0). */
const ISO_INSTANT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** How each sort key's value is written in a cursor. */
const VALUE_KIND: Record<SortField, { kind: 'instant' | 'email' | 'name'; nullable: boolean }> = {
  CREATED_AT: { kind: 'instant', nullable: false },
  UPDATED_AT: { kind: 'instant', nullable: false },
  LAST_LOGIN_AT: { kind: 'instant', nullable: true },
  EMAIL: { kind: 'email', nullable: false },
  NAME: { kind: 'name', nullable: true },
  LAST_NAME: { kind: 'name', nullable: true },
};

export function sortSignature(order: SortKey[]): string {
  return order.map((k) => `${k.field}:${k.direction}`).join(',');
}

export function encodeCursor(order: SortKey[], position: Position): string {
  return Buffer.from(JSON.stringify({ s: sortSignature(order), v: position.values, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string, order: SortKey[], argName: string): Position {
  const invalid = () => BadUserInputError.field(argName, 'is not a valid cursor');
  const payload = parsePayload(cursor);
  if (!payload) throw invalid();
  if (payload.s !== sortSignature(order)) {
    throw BadUserInputError.field(argName, `was issued for orderBy ${printable(payload.s)}, not ${sortSignature(order)}`);
  }
  if (payload.v.length !== order.length || !order.every((key, i) => isValue(key.field, payload.v[i]))) throw invalid();
  return { values: payload.v as (string | null)[], id: payload.i };
}

/** The payload if `cursor` is canonical base64url of UTF-8 JSON with exactly { s, v, i }. */
function parsePayload(cursor: string): { s: string; v: unknown[]; i: string } | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  // Only one spelling per cursor: no trailing bits that decoding would drop.
  if (bytes.toString('base64url') !== cursor) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  const keys = Object.keys(p).sort().join(',');
  if (keys !== 'i,s,v' || typeof p.s !== 'string' || typeof p.i !== 'string' || !Array.isArray(p.v)) return undefined;
  if (!isCanonicalUuid(p.i)) return undefined;
  return { s: p.s, v: p.v, i: p.i };
}

function isValue(field: SortField, value: unknown): boolean {
  const { kind, nullable } = VALUE_KIND[field];
  if (value === null) return nullable;
  if (typeof value !== 'string') return false;
  if (kind === 'instant') return ISO_INSTANT.test(value) && new Date(value).toISOString() === value;
  // The columns are varchar(255), which counts characters (code points), not UTF-16 units.
  if ([...value].length > 255) return false;
  // Text as the column could hold it. Names stored before the name rule may hold control
  // characters other than NUL, and their cursors must keep working; emails never do.
  return (kind === 'email' ? controlFreeTextProblem(value) : storableTextProblem(value)) === undefined;
}

/** A tampered signature is echoed in the message: keep it short and printable. */
function printable(signature: string): string {
  return /^[A-Z_:,]{1,200}$/.test(signature) ? signature : 'another sort';
}
