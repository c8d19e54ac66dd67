// The valid rows of one chunk, kept compact until they are written. A chunk lives from its first
// parsed row until its commit (with two writers, about three chunks' time), long enough for V8 to
// promote what it holds to the old generation, where it stays until a full collection. Candidate
// objects (a nested object and a dozen strings per row) made most of that garbage; each row is
// kept instead as one flat string in the form the users writer sends it (its encoding: the
// statements' JSON, importRowJson, or COPY text, importCopyCells; see user-row.repository.ts)
// plus its email and row number. Measured on 200k rows: ~150 MB less promoted garbage.
import { importCopyCells, importCopyRowJson, importRowJson, type ImportRowEncoding } from '../user.columns.js';
import type { ImportCandidate } from './import.column.js';

export class ChunkRows {
  /** Per row: the row in `encoding` ('' until its password is hashed). */
  readonly encoded: string[] = [];
  /** Per row: the normalised email (to report rows that were not written). */
  readonly emails: string[] = [];
  /** Per row: its row number in the file. */
  readonly numbers: number[] = [];
  private readonly encode: (candidate: ImportCandidate) => string;

  constructor(readonly encoding: ImportRowEncoding = 'json') {
    this.encode = encoding === 'copy' ? importCopyCells : importRowJson;
  }

  get length(): number {
    return this.emails.length;
  }

  /** Adds a row; a candidate still waiting for its password hash is encoded by `settle`. */
  add(candidate: ImportCandidate): number {
    const index = this.emails.length;
    this.encoded.push(candidate.password === undefined ? this.encode(candidate) : '');
    this.emails.push(candidate.email);
    this.numbers.push(candidate.row);
    return index;
  }

  /** Encodes a row once its plaintext password has been replaced by a hash. */
  settle(index: number, candidate: ImportCandidate): void {
    this.encoded[index] = this.encode(candidate);
  }

  /** The rows as one JSON array (a single statement parameter), whatever their encoding. */
  toJson(): string {
    if (this.encoding === 'json') return `[${this.encoded.join(',')}]`;
    return `[${this.encoded.map((cells, i) => importCopyRowJson(cells, this.numbers[i]!)).join(',')}]`;
  }
}
