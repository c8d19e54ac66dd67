// The valid rows of one chunk, kept compact until they are written. A chunk lives from its first
// parsed row until its commit (with two writers, about three chunks' time), long enough for V8 to
// move its objects to the old generation; a million rows of candidate objects then grew the
// server's heap by hundreds of MB before a full collection freed them. Each row is kept instead
// as one flat JSON string (the shape ImportsRepository hands to json_to_recordset) plus its email
// and row number: a few hundred bytes, no object graph, and no slice of the parser's text kept
// alive.
import type { ImportCandidate } from './import.columns.js';

export class ChunkRows {
  /** Per row: the JSON object the repository writes ('' until its password is hashed). */
  readonly json: string[] = [];
  /** Per row: the normalised email (to report rows that were not written). */
  readonly emails: string[] = [];
  /** Per row: its row number in the file. */
  readonly numbers: number[] = [];

  get length(): number {
    return this.emails.length;
  }

  /** Adds a row; a candidate still waiting for its password hash is serialised by `settle`. */
  add(candidate: ImportCandidate): number {
    const index = this.emails.length;
    this.json.push(candidate.password === undefined ? rowJson(candidate) : '');
    this.emails.push(candidate.email);
    this.numbers.push(candidate.row);
    return index;
  }

  /** Serialises a row once its plaintext password has been replaced by a hash. */
  settle(index: number, candidate: ImportCandidate): void {
    this.json[index] = rowJson(candidate);
  }

  /** The rows as JSON arrays of at most `maxChars` characters each (one row may exceed it). */
  *toJsonSlices(maxChars: number): Generator<string> {
    let start = 0;
    let chars = 0;
    for (let i = 0; i < this.json.length; i++) {
      const size = this.json[i]!.length + 1;
      if (i > start && chars + size > maxChars) {
        yield `[${this.json.slice(start, i).join(',')}]`;
        start = i;
        chars = 0;
      }
      chars += size;
    }
    if (start < this.json.length) yield `[${this.json.slice(start).join(',')}]`;
  }
}

/**
 * Keys match the column list of ImportsRepository's json_to_recordset; absent values become
 * NULL there. JSON.stringify returns one flat string (building it with `+` would keep a tree of
 * a dozen string pieces per row alive until the chunk is written).
 */
export function rowJson(c: ImportCandidate): string {
  const t = c.text;
  return JSON.stringify({
    email: c.email,
    name: t.name,
    first_name: t.firstName,
    last_name: t.lastName,
    phone_number: t.phoneNumber,
    avatar_url: t.avatarUrl,
    role: c.role,
    is_active: c.isActive,
    is_email_verified: c.isEmailVerified,
    password_hash: c.passwordHash,
    ord: c.row,
  });
}
