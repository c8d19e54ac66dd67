// CSV header and row rules. Pure functions: a header becomes a column layout (or an import
// failure naming the bad columns), a record becomes a validated candidate (or row errors naming
// the field). Field rules are createUser's (user.validation.ts), so a row is valid exactly when
// createUser would accept the same values.
import { BCRYPT_HASH } from '../../auth/password.hasher.js';
import { CLEARED_FIELDS, type ClearedField } from '../user.columns.js';
import type { Role } from '../user.model.js';
import { createUserSchema, zodProblems } from '../user.validation.js';
import { attributesProblem, mergePatch, type JsonObject } from '../user.attributes.js';
import { READ_ONLY_KEYS } from '../export/export.model.js';
import { IMPORT_FAILURE_CODES, ImportFailedError, ROW_ERROR_CODES } from './import.error.js';
import type { ImportRowError } from './import.model.js';

export const IMPORT_COLUMNS = [
  'email',
  'name',
  'firstName',
  'lastName',
  'phoneNumber',
  'avatarUrl',
  'role',
  'isActive',
  'isEmailVerified',
  'password',
  'passwordHash',
  'externalId',
  'attributes',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Profile columns: a blank cell clears the field (as null does in updateUser). The users column map says which. */
export const TEXT_COLUMNS = CLEARED_FIELDS;
export type TextColumn = ClearedField;

const BY_LOWER = new Map<string, ImportColumn | 'ignored'>([
  ...IMPORT_COLUMNS.map((c) => [c.toLowerCase(), c] as const),
  ...READ_ONLY_KEYS.map((c) => [c.toLowerCase(), 'ignored'] as const),
]);

export interface HeaderLayout {
  /** Per file column: the import column it feeds, or null for ignored read-only columns. */
  columns: (ImportColumn | null)[];
  present: ReadonlySet<ImportColumn>;
  width: number;
}

/** Maps header cells (case-insensitive, trimmed) to columns; fails naming every bad one. */
export function parseHeader(cells: string[]): HeaderLayout {
  const names = cells.map((c) => c.trim());
  if (names.length === 1 && /[;\t|]/.test(names[0]!)) {
    const delimiter = /;/.test(names[0]!) ? 'semicolons' : /\t/.test(names[0]!) ? 'tabs' : 'pipes';
    throw new ImportFailedError(
      IMPORT_FAILURE_CODES.WRONG_DELIMITER,
      `The header row is one column separated by ${delimiter}; the file must be comma-separated (CSV)`,
    );
  }
  const columns: (ImportColumn | null)[] = [];
  const present = new Set<ImportColumn>();
  const unknown: string[] = [];
  const duplicates: string[] = [];
  names.forEach((name, i) => {
    const column = BY_LOWER.get(name.toLowerCase());
    if (!column) {
      unknown.push(name === '' ? `(column ${i + 1} has no name)` : name);
      columns.push(null);
    } else if (column === 'ignored') {
      columns.push(null);
    } else {
      if (present.has(column)) duplicates.push(name);
      present.add(column);
      columns.push(column);
    }
  });
  const missing = present.has('email') ? [] : ['email'];
  if (unknown.length) {
    throw new ImportFailedError(
      IMPORT_FAILURE_CODES.UNKNOWN_COLUMNS,
      `Unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.map(quote).join(', ')}` +
        (missing.length ? '; the required column "email" is missing' : '') +
        `. Accepted columns: ${IMPORT_COLUMNS.join(', ')}`,
      { columns: unknown, missing },
    );
  }
  if (missing.length) {
    throw new ImportFailedError(IMPORT_FAILURE_CODES.MISSING_COLUMNS, 'The required column "email" is missing from the header row', {
      columns: missing,
    });
  }
  if (duplicates.length) {
    throw new ImportFailedError(IMPORT_FAILURE_CODES.DUPLICATE_COLUMNS, `Column${duplicates.length > 1 ? 's' : ''} listed twice: ${duplicates.map(quote).join(', ')}`, {
      columns: duplicates,
    });
  }
  return { columns, present, width: names.length };
}

/** A valid row, ready to write. Only the columns the file has (and the row gives) are set. */
export interface ImportCandidate {
  row: number;
  email: string;
  text: Partial<Record<TextColumn, string | null>>;
  role?: Role;
  isActive?: boolean;
  isEmailVerified?: boolean;
  /** Plaintext, to be hashed off the event loop. */
  password?: string;
  /** A bcrypt hash given in the file, stored as it is. */
  passwordHash?: string;
  /** A JSON object: new users get it (nulls dropped), existing ones (UPSERT) get it merged as an RFC 7396 patch. */
  attributes?: JsonObject;
}

export type RowResult = { ok: true; candidate: ImportCandidate } | { ok: false; errors: ImportRowError[] };

const TRUE = new Set(['true', '1', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'no', 'n']);
// Exports prefix an apostrophe to cells a spreadsheet would run as a formula; undo exactly one.
const NEUTRALISED = /^'+[=+\-@\t\r]/;

/** Validates one record (already split into cells) against the layout. */
export function toCandidate(layout: HeaderLayout, cells: string[], row: number): RowResult {
  const rawEmail = layout.columns.indexOf('email');
  const emailCell = cells[rawEmail] ?? '';
  if (cells.length !== layout.width) {
    return fail(row, emailCell, 'row', ROW_ERROR_CODES.COLUMN_COUNT, `has ${cells.length} field${cells.length === 1 ? '' : 's'}; the header has ${layout.width}`);
  }
  const errors: ImportRowError[] = [];
  const input: Record<string, unknown> = {};
  const candidate: Omit<ImportCandidate, 'email'> = { row, text: {} };
  for (let i = 0; i < cells.length; i++) {
    const column = layout.columns[i];
    if (!column) continue;
    let value = cells[i]!;
    if (NEUTRALISED.test(value)) value = value.slice(1);
    if (value.includes('\uFFFD')) {
      errors.push(rowError(row, emailCell, column, ROW_ERROR_CODES.INVALID_ENCODING, 'is not valid UTF-8'));
      continue;
    }
    const blank = value.trim() === '';
    switch (column) {
      case 'email':
        if (blank) errors.push(rowError(row, emailCell, 'email', ROW_ERROR_CODES.REQUIRED, 'is required'));
        else input.email = value;
        break;
      case 'name':
      case 'firstName':
      case 'lastName':
      case 'phoneNumber':
      case 'avatarUrl':
      case 'externalId':
        input[column] = value;
        break;
      case 'attributes': {
        // Blank means "not given": an existing user keeps theirs.
        if (blank) break;
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          errors.push(rowError(row, emailCell, 'attributes', ROW_ERROR_CODES.INVALID_VALUE, 'must be a JSON object'));
          break;
        }
        // Checked as the patch and as what a new user would store (nulls removed).
        const problem = attributesProblem(parsed) ?? attributesProblem(mergePatch(null, parsed as JsonObject));
        if (problem) errors.push(rowError(row, emailCell, 'attributes', ROW_ERROR_CODES.INVALID_VALUE, problem));
        else candidate.attributes = parsed as JsonObject;
        break;
      }
      case 'role':
        // Blank means "not given": new users get USER, existing users keep theirs.
        if (!blank) input.role = value.trim().toUpperCase();
        break;
      case 'isActive':
      case 'isEmailVerified': {
        if (blank) break;
        const v = value.trim().toLowerCase();
        if (TRUE.has(v)) input[column] = true;
        else if (FALSE.has(v)) input[column] = false;
        else errors.push(rowError(row, emailCell, column, ROW_ERROR_CODES.INVALID_VALUE, 'must be true or false'));
        break;
      }
      case 'password':
        // Blank means "not given": never a way to wipe passwords by accident.
        if (value !== '') input.password = value;
        break;
      case 'passwordHash':
        if (blank) break;
        if (BCRYPT_HASH.test(value.trim())) candidate.passwordHash = value.trim();
        else errors.push(rowError(row, emailCell, 'passwordHash', ROW_ERROR_CODES.INVALID_PASSWORD_HASH, 'must be a bcrypt hash ($2a$, $2b$ or $2y$)'));
        break;
    }
  }
  if (input.password !== undefined && candidate.passwordHash !== undefined) {
    errors.push(rowError(row, emailCell, 'password', ROW_ERROR_CODES.CONFLICTING_PASSWORDS, 'give password or passwordHash, not both'));
  }
  if (input.email === undefined && errors.some((e) => e.field === 'email')) {
    input.email = 'placeholder@invalid.invalid'; // still validate the other fields of the row
  }
  const parsed = createUserSchema.safeParse(input);
  if (!parsed.success) {
    for (const problem of zodProblems(parsed.error)) {
      errors.push(rowError(row, emailCell, problem.field, ROW_ERROR_CODES.INVALID_VALUE, problem.message));
    }
  }
  if (errors.length || !parsed.success) return { ok: false, errors };
  const data = parsed.data;
  for (const column of TEXT_COLUMNS) if (column in data) candidate.text[column] = data[column] ?? null;
  if (data.role !== undefined) candidate.role = data.role;
  if (data.isActive !== undefined) candidate.isActive = data.isActive;
  if (data.isEmailVerified !== undefined) candidate.isEmailVerified = data.isEmailVerified;
  if (data.password != null) candidate.password = data.password;
  return { ok: true, candidate: { ...candidate, email: data.email } };
}

export function rowError(row: number, email: string, field: string, code: string, message: string): ImportRowError {
  const e = email.trim().toLowerCase();
  return { row, email: e === '' ? null : e.slice(0, 255), field, code, message };
}

function fail(row: number, email: string, field: string, code: string, message: string): RowResult {
  return { ok: false, errors: [rowError(row, email, field, code, message)] };
}

function quote(name: string): string {
  return name.startsWith('(') ? name : JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
