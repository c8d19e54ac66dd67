// Opaque cursors: base64url JSON of the sort signature, the row's sort-key values and its id.
// The signature lets us refuse a cursor minted under a different orderBy instead of silently
// returning a wrong page.
import { BadUserInputError } from '../../errors.js';
import type { Position, SortKey } from './listing.model.js';

export function sortSignature(order: SortKey[]): string {
  return order.map((k) => `${k.field}:${k.direction}`).join(',');
}

export function encodeCursor(order: SortKey[], position: Position): string {
  return Buffer.from(JSON.stringify({ s: sortSignature(order), v: position.values, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string, order: SortKey[], argName: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw BadUserInputError.field(argName, 'is not a valid cursor');
  }
  if (!isCursorPayload(parsed) || parsed.v.length !== order.length) {
    throw BadUserInputError.field(argName, 'is not a valid cursor');
  }
  if (parsed.s !== sortSignature(order)) {
    throw BadUserInputError.field(argName, `was issued for orderBy ${parsed.s}, not ${sortSignature(order)}`);
  }
  return { values: parsed.v, id: parsed.i };
}

function isCursorPayload(value: unknown): value is { s: string; v: (string | null)[]; i: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.s === 'string' &&
    typeof v.i === 'string' &&
    /^[0-9a-f-]{36}$/i.test(v.i) &&
    Array.isArray(v.v) &&
    v.v.every((x) => x === null || typeof x === 'string')
  );
}
