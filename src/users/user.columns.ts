// The users table in one place: for each column of `users`, the field it is in a UserRecord (and
// on the GraphQL User type), its SQL column and type, whether it may be null, how an export
// renders it, and what the CSV export and import call it. Everything else that lists the table's
// columns is derived from this map: UserRecord itself, Prisma's select and the raw select list
// (users, listing, lifecycle), the zod schema raw rows are checked with, the export's columns,
// the import's row JSON and its insert/update column lists, the sort columns and the filter
// conditions (listing.sql.ts). The derived status follows the map: its SQL (statusAt) and its JS
// twin (userStatus) side by side, and tests/medium/user-status.test.ts proves they agree.
//
// Adding a column:
//   1. prisma/schema.prisma, then `npm run db:migration:new -- add_x` and `npm run generate`;
//   2. one entry in USER_COLUMNS below. Prisma's select is derived from it, so a field name, type
//      or nullability that disagrees with the schema fails to compile; a wrong SQL column fails
//      tests/medium/sql-catalogue.test.ts;
//   3. its field on the GraphQL User type (user.type.ts; the class implements UserRecord, so the
//      compiler asks for it). An exported column also needs its name in USER_FIELDS
//      (export.model.ts: the UserField enum and the default column order); an imported one its
//      CSV column in IMPORT_COLUMNS, a case in toCandidate (import.column.ts) and its key in
//      importRow below. The compiler (and, for the switch, the linter) asks for each;
//   4. `npm run schema:emit` and `npm run sql:emit`, and commit what they changed.
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import type { UserField } from './export/export.model.js';
import type { ImportCandidate } from './import/import.column.js';
import { ROLES, type Role, type UserStatus } from './user.model.js';
import { mergePatch, type JsonValue } from './user.attributes.js';

type Sql = Prisma.Sql;

/** How a column is stored, as far as raw SQL cares (uuid and the Role enum are read as text). */
type SqlType = 'uuid' | 'text' | 'boolean' | 'int' | 'timestamptz' | 'role' | 'jsonb';

/**
 * How an export renders a column (export.sql.ts): `text` is anything a user typed (CSV quoting
 * and formula prefix, JSON escaping); `safe` never needs escaping in either format (booleans);
 * `quoted` is a JSON string that never needs escaping (uuid, enum); `int` a number (a negative
 * one gets the CSV formula prefix); `time` an ISO timestamp; `json` a jsonb value: its text in
 * one CSV cell (quoted like any text), the value itself in JSON.
 */
export type RenderKind = 'text' | 'safe' | 'quoted' | 'int' | 'time' | 'json';

/**
 * How the CSV import writes a column; its CSV column is the field name. `key`: the email rows are
 * matched on. `clear`: a blank cell writes null. `keep`: a blank cell keeps an existing user's
 * value, and a new user gets `default` (SQL); `always` sets it on existing users even when the
 * file has no such column (the password: from either `password` or `passwordHash`). `merge`: a
 * JSON object cell is an RFC 7396 merge patch on an existing user's value (users_json_merge_patch,
 * in the migrations), a blank cell keeps it.
 */
type ImportWrite = { blank: 'key' } | { blank: 'clear' } | { blank: 'keep'; default?: string; always?: true } | { blank: 'merge' };

/** An exported column: its name in USER_FIELDS and how it renders. */
type ExportSpec = { export: Exclude<UserField, 'STATUS'>; render: RenderKind } | { export?: undefined; render?: undefined };

type ColumnSpec = {
  column: string;
  type: SqlType;
  nullable: boolean;
  /** Written, never read back: not in a UserRecord, a select list or an export. */
  secret?: true;
  import?: ImportWrite;
} & ExportSpec;

export const USER_COLUMNS = {
  id: { column: 'id', type: 'uuid', nullable: false, render: 'quoted', export: 'ID' },
  email: { column: 'email', type: 'text', nullable: false, render: 'text', export: 'EMAIL', import: { blank: 'key' } },
  name: { column: 'name', type: 'text', nullable: true, render: 'text', export: 'NAME', import: { blank: 'clear' } },
  firstName: {
    column: 'first_name',
    type: 'text',
    nullable: true,
    render: 'text',
    export: 'FIRST_NAME',
    import: { blank: 'clear' },
  },
  lastName: {
    column: 'last_name',
    type: 'text',
    nullable: true,
    render: 'text',
    export: 'LAST_NAME',
    import: { blank: 'clear' },
  },
  phoneNumber: {
    column: 'phone_number',
    type: 'text',
    nullable: true,
    render: 'text',
    export: 'PHONE_NUMBER',
    import: { blank: 'clear' },
  },
  avatarUrl: {
    column: 'avatar_url',
    type: 'text',
    nullable: true,
    render: 'text',
    export: 'AVATAR_URL',
    import: { blank: 'clear' },
  },
  isActive: {
    column: 'is_active',
    type: 'boolean',
    nullable: false,
    render: 'safe',
    export: 'IS_ACTIVE',
    import: { blank: 'keep', default: 'true' },
  },
  isEmailVerified: {
    column: 'is_email_verified',
    type: 'boolean',
    nullable: false,
    render: 'safe',
    export: 'IS_EMAIL_VERIFIED',
    import: { blank: 'keep', default: 'false' },
  },
  role: {
    column: 'role',
    type: 'role',
    nullable: false,
    render: 'quoted',
    export: 'ROLE',
    import: { blank: 'keep', default: "'USER'" },
  },
  lastLoginAt: { column: 'last_login_at', type: 'timestamptz', nullable: true, render: 'time', export: 'LAST_LOGIN_AT' },
  createdAt: { column: 'created_at', type: 'timestamptz', nullable: false, render: 'time', export: 'CREATED_AT' },
  updatedAt: { column: 'updated_at', type: 'timestamptz', nullable: false, render: 'time', export: 'UPDATED_AT' },
  deletedAt: { column: 'deleted_at', type: 'timestamptz', nullable: true, render: 'time', export: 'DELETED_AT' },
  createdById: { column: 'created_by_id', type: 'uuid', nullable: true },
  updatedById: { column: 'updated_by_id', type: 'uuid', nullable: true },
  deletedById: { column: 'deleted_by_id', type: 'uuid', nullable: true },
  version: { column: 'version', type: 'int', nullable: false, render: 'int', export: 'VERSION' },
  suspendedAt: { column: 'suspended_at', type: 'timestamptz', nullable: true, render: 'time', export: 'SUSPENDED_AT' },
  suspendedUntil: { column: 'suspended_until', type: 'timestamptz', nullable: true, render: 'time', export: 'SUSPENDED_UNTIL' },
  suspensionReason: { column: 'suspension_reason', type: 'text', nullable: true, render: 'text', export: 'SUSPENSION_REASON' },
  // Not exported or imported: a lock is the service's own state, not a user's data.
  lockedUntil: { column: 'locked_until', type: 'timestamptz', nullable: true },
  passwordHash: { column: 'password_hash', type: 'text', nullable: true, secret: true, import: { blank: 'keep', always: true } },
  attributes: { column: 'attributes', type: 'jsonb', nullable: true, render: 'json', export: 'ATTRIBUTES', import: { blank: 'merge' } },
  externalId: {
    column: 'external_id',
    type: 'text',
    nullable: true,
    render: 'text',
    export: 'EXTERNAL_ID',
    import: { blank: 'clear' },
  },
  erasedAt: { column: 'erased_at', type: 'timestamptz', nullable: true },
  passwordChangeRequired: { column: 'password_change_required', type: 'boolean', nullable: false },
} as const satisfies Record<string, ColumnSpec>;

export type UserColumns = typeof USER_COLUMNS;
type Columns = UserColumns;
export type UserColumnField = keyof Columns;

interface JsTypes {
  uuid: string;
  text: string;
  boolean: boolean;
  int: number;
  timestamptz: Date;
  role: Role;
  jsonb: Prisma.JsonValue;
}
type ValueOf<C extends ColumnSpec> = JsTypes[C['type']] | (C['nullable'] extends true ? null : never);

/** Every column a UserRecord has: all but the secret ones. */
export type RecordField = { [K in UserColumnField]: Columns[K] extends { secret: true } ? never : K }[UserColumnField];

/** What UserRecord is (see user.model.ts): each readable column under its field name. */
export type UserColumnValues = { [K in RecordField]: ValueOf<Columns[K]> };

const entries = Object.entries(USER_COLUMNS) as [UserColumnField, ColumnSpec][];
export const RECORD_FIELDS = entries.filter(([, c]) => !c.secret).map(([field]) => field) as RecordField[];

/** A column's spec, widened (for code that looks a column up by a field held in a variable). */
export function columnSpec(field: UserColumnField): ColumnSpec {
  return USER_COLUMNS[field];
}

/** A column of `users u` as SQL: `u.first_name`. */
export function columnSql(field: UserColumnField): Sql {
  return Prisma.raw(`u.${USER_COLUMNS[field].column}`);
}

/** How raw SQL reads a column as its record value: uuid and enum columns come back as text. */
export function readExpression(field: UserColumnField): string {
  const { column, type } = USER_COLUMNS[field];
  return type === 'uuid' || type === 'role' ? `u.${column}::text` : `u.${column}`;
}

/** `u.id::text AS "id", u.email, u.first_name AS "firstName", …` for `fields` of `users u`. */
export function selectList(fields: readonly RecordField[]): string {
  return fields
    .map((field) => {
      const expression = readExpression(field);
      return expression === `u.${field}` ? expression : `${expression} AS "${field}"`;
    })
    .join(', ');
}

/** The whole UserRecord of `users u`, for raw queries (the listing's pages). */
export const USER_SELECT = Prisma.raw(selectList(RECORD_FIELDS));

/**
 * The same columns for Prisma (`select: userSelect`): never passwordHash. A field the Prisma
 * schema lacks fails to compile here, and so does (where a repository returns Prisma's rows as
 * UserRecords) a type or nullability that differs from the schema's.
 */
export const userSelect = prismaSelect(RECORD_FIELDS);

function prismaSelect<K extends keyof Prisma.UserSelect>(fields: readonly K[]): { [F in K]: true } {
  return Object.fromEntries(fields.map((field) => [field, true])) as { [F in K]: true };
}

function zodType(spec: ColumnSpec): z.ZodType {
  const base = {
    uuid: z.string(),
    text: z.string(),
    boolean: z.boolean(),
    int: z.number().int(),
    timestamptz: z.date(),
    role: z.enum(ROLES),
    jsonb: z.custom<Prisma.JsonValue>((v) => v === null || typeof v === 'object'),
  }[spec.type];
  return spec.nullable ? base.nullable() : base;
}

/**
 * The zod schema of a raw row holding `fields` (under their field names, as selectList names
 * them): what repositories check raw rows against instead of casting them.
 */
export function recordSchema<K extends RecordField>(fields: readonly K[]): z.ZodType<Pick<UserColumnValues, K>> {
  return z.object(Object.fromEntries(fields.map((field) => [field, zodType(USER_COLUMNS[field])]))) as unknown as z.ZodType<
    Pick<UserColumnValues, K>
  >;
}

// ---------------------------------------------------------------------------------------------
// The CSV import's writes (user-row.repository.ts). A chunk's rows travel as one JSON array,
// unpacked by json_to_recordset; each row is an object keyed by field name, plus its file row.

/** The columns the import writes (its CSV columns have these names). */
export type ImportedField = { [K in UserColumnField]: Columns[K] extends { import: object } ? K : never }[UserColumnField];
/** Profile text columns: a blank cell clears them. */
export type ClearedField = {
  [K in UserColumnField]: Columns[K] extends { import: { blank: 'clear' } } ? K : never;
}[UserColumnField];

export const IMPORTED_FIELDS = entries.filter(([, c]) => c.import).map(([field]) => field) as ImportedField[];
export const CLEARED_FIELDS = entries.filter(([, c]) => c.import?.blank === 'clear').map(([field]) => field) as ClearedField[];

/** One import row as the writer's JSON: what the file gave for each imported field, and its row number. */
export type ImportRow = { [K in ImportedField]?: ValueOf<Columns[K]> } & { row: number };

/**
 * A valid row as the writer's JSON (an ImportRow): the candidate's values under their field names,
 * and never a plaintext password (by now hashed into passwordHash). Absent (undefined) values are
 * left out, so NULL in the recordset. Every key is spelled out in one object literal, checked
 * against the map: an imported column missing here, or a key the map lacks, fails to compile.
 * (Copying the candidate generically, with rest and spread, cost 3 us a row instead of 0.9: a
 * million-row import spends that on the event loop.) JSON.stringify returns one flat string
 * (building it with `+` would keep a tree of a dozen string pieces per row alive until the
 * chunk is written).
 */
export function importRowJson(c: ImportCandidate): string {
  return JSON.stringify(importRow(c));
}

/** The candidate as an ImportRow (every key spelled out: see importRowJson). */
function importRow(c: ImportCandidate): { [K in ImportedField]: ImportRow[K] | undefined } & { row: number } {
  const t = c.text;
  return {
    row: c.row,
    email: c.email,
    name: t.name,
    firstName: t.firstName,
    lastName: t.lastName,
    phoneNumber: t.phoneNumber,
    avatarUrl: t.avatarUrl,
    isActive: c.isActive,
    isEmailVerified: c.isEmailVerified,
    role: c.role,
    passwordHash: c.passwordHash,
    attributes: c.attributes,
    externalId: t.externalId,
  };
}

const JSON_TYPES: Record<SqlType, string> = {
  uuid: 'uuid',
  text: 'text',
  boolean: 'boolean',
  int: 'int',
  timestamptz: 'timestamptz',
  role: 'text',
  jsonb: 'jsonb',
};

/** `json_to_recordset($1::json) AS v("email" text, …, "row" int)`: the rows of one chunk as a relation. */
export function importRecordset(json: string): Sql {
  const columns = IMPORTED_FIELDS.map((field) => `"${field}" ${JSON_TYPES[USER_COLUMNS[field].type]}`);
  return Prisma.sql`json_to_recordset(${json}::json) AS v(${Prisma.raw([...columns, '"row" int'].join(', '))})`;
}

/** The value a row gives a column, typed for it. */
function importedValue(field: ImportedField): string {
  if (USER_COLUMNS[field].import.blank === 'merge') return `users_json_merge_patch(NULL, v."${field}")`;
  return `v."${field}"${USER_COLUMNS[field].type === 'role' ? '::"Role"' : ''}`;
}

/** Column list and values of a new user made from `v`, audit columns aside. */
export function importInsert(): { columns: string; values: string } {
  const values = IMPORTED_FIELDS.map((field) => {
    const spec: ImportWrite = USER_COLUMNS[field].import;
    return spec.blank === 'keep' && spec.default ? `COALESCE(${importedValue(field)}, ${spec.default})` : importedValue(field);
  });
  return { columns: IMPORTED_FIELDS.map((field) => USER_COLUMNS[field].column).join(', '), values: values.join(', ') };
}

// An INSERT chunk is written with COPY instead (user-row.repository.ts):
// its rows are then kept as COPY text from the start (importCopyCells), so no row is turned into
// JSON, parsed back and turned into COPY text again (on 200k rows the Node side of reading,
// validating and encoding went from ~30 to ~23 µs a row of CPU). A chunk that must fall back to
// the statements converts its COPY text back to the writer's JSON (importCopyRowJson), which is
// rare (a taken value).

/** How a chunk keeps its rows until they are written: the statements' JSON or COPY text. */
export type ImportRowEncoding = 'json' | 'copy';

// Per imported field, in IMPORTED_FIELDS order: the value a new user gets for an absent one (a
// `keep` column's SQL default as the COPY cell its value is: 'USER' without quotes, a boolean as
// t or f like every other boolean cell, which importCopyRowJson reads back) and whether it is a
// merge patch (attributes).
const COPY_DEFAULTS = IMPORTED_FIELDS.map((field) => {
  const spec: ImportWrite = USER_COLUMNS[field].import;
  if (spec.blank !== 'keep' || !spec.default) return undefined;
  if (USER_COLUMNS[field].type === 'boolean') return spec.default === 'true' ? 't' : 'f';
  return spec.default.replace(/^'(.*)'$/, '$1');
});
const COPY_MERGE = IMPORTED_FIELDS.map((field) => USER_COLUMNS[field].import.blank === 'merge');
const COPY_TYPES = IMPORTED_FIELDS.map((field) => USER_COLUMNS[field].type);
/** Reused by importCopyCells (synchronous), so a row allocates its cells and one joined string. */
const copyCells: string[] = [];

/** The columns of a COPY line: the id and the audit ids, then every imported column. */
export function importCopyColumns(): string {
  const { id, createdById, updatedById } = USER_COLUMNS;
  return [id.column, createdById.column, updatedById.column, ...IMPORTED_FIELDS.map((field) => USER_COLUMNS[field].column)].join(
    ', ',
  );
}

/**
 * A new user's imported columns as COPY text cells (tab-separated, no line end): the values
 * importInsert computes in SQL, computed here: an absent value is its default or \N, attributes
 * lose their null members as users_json_merge_patch(NULL, …) drops them (mergePatch is its JS
 * twin). The writer prefixes the id and audit ids (importCopyLine). Array.join returns one flat
 * string, which is what a chunk keeps per row (see import.chunk.ts).
 */
export function importCopyCells(c: ImportCandidate): string {
  const row = importRow(c);
  const fields = IMPORTED_FIELDS;
  const n = fields.length;
  for (let i = 0; i < n; i++) {
    // Imported values are strings and booleans, attributes a JSON object.
    const value = row[fields[i]!] as JsonValue | undefined;
    const cell =
      value === undefined || value === null
        ? COPY_DEFAULTS[i]
        : COPY_MERGE[i]
          ? JSON.stringify(mergePatch(undefined, value))
          : (value as string | boolean);
    copyCells[i] = copyText(cell);
  }
  copyCells.length = n;
  return copyCells.join('\t');
}

/** One COPY line of a new user: its id, the audit ids, its cells (importCopyCells). */
export function importCopyLine(id: string, actorId: string | null, cells: string): string {
  const actor = actorId ?? '\\N';
  return `${id}\t${actor}\t${actor}\t${cells}\n`;
}

/**
 * The writer's JSON of a row kept as COPY cells (importCopyCells), for the statements: the same
 * values, with the defaults and the dropped nulls already applied (the statements apply them
 * again to the same effect).
 */
export function importCopyRowJson(cells: string, rowNumber: number): string {
  const parts = cells.split('\t');
  const row: Record<string, JsonValue> = { row: rowNumber };
  for (let i = 0; i < IMPORTED_FIELDS.length; i++) {
    const cell = parts[i]!;
    if (cell === '\\N') continue;
    const text = cell.includes('\\') ? cell.replace(/\\(.)/g, (_, c: string) => COPY_UNESCAPES[c] ?? c) : cell;
    const type = COPY_TYPES[i]!;
    row[IMPORTED_FIELDS[i]!] = type === 'boolean' ? text === 't' : type === 'jsonb' ? (JSON.parse(text) as JsonValue) : text;
  }
  return JSON.stringify(row);
}

/** A value in COPY's text format: \N for null; backslash, tab and line breaks escaped. */
function copyText(value: string | boolean | undefined): string {
  if (value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : value;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_UNESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r' };

/**
 * What an UPSERT sets on an existing user `u` from `v`: [column, new value] for each column the
 * file has (`present`), and for those set `always`. The key is never set.
 */
export function importAssignments(present: ReadonlySet<ImportedField>): [string, string][] {
  const out: [string, string][] = [];
  for (const field of IMPORTED_FIELDS) {
    const spec: ImportWrite = USER_COLUMNS[field].import;
    const column = USER_COLUMNS[field].column;
    if (spec.blank === 'key') continue;
    if (spec.blank === 'clear' && present.has(field)) out.push([column, importedValue(field)]);
    if (spec.blank === 'keep' && (present.has(field) || spec.always))
      out.push([column, `COALESCE(${importedValue(field)}, u.${column})`]);
    if (spec.blank === 'merge' && present.has(field))
      out.push([column, `COALESCE(users_json_merge_patch(u.${column}, v."${field}"), u.${column})`]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The derived status, in SQL and in JS. A suspension whose `until` has passed no longer counts
// even before the expiry job clears it, so login, listings, exports and stats are right to the
// millisecond whatever the job's timing. Change both together (tests/medium/user-status.test.ts).

const col = (field: RecordField): Sql => columnSql(field);

/** Suspended at `at` (any timestamptz expression). */
export function suspendedAt(at: Sql): Sql {
  return Prisma.sql`${col('suspendedAt')} IS NOT NULL AND (${col('suspendedUntil')} IS NULL OR ${col('suspendedUntil')} > ${at})`;
}

/** The derived status of `users u` at the instant `at`. */
export function statusAt(at: Sql): Sql {
  return Prisma.sql`CASE
    WHEN ${col('erasedAt')} IS NOT NULL THEN 'ERASED'
    WHEN ${col('deletedAt')} IS NOT NULL THEN 'DELETED'
    WHEN ${suspendedAt(at)} THEN 'SUSPENDED'
    WHEN NOT ${col('isActive')} THEN 'INACTIVE'
    ELSE 'ACTIVE' END`;
}

type StatusFields = Pick<UserColumnValues, 'erasedAt' | 'deletedAt' | 'isActive' | 'suspendedAt' | 'suspendedUntil'>;

/** statusAt's twin, for a record already read. */
export function userStatus(user: StatusFields, now: Date): UserStatus {
  if (user.erasedAt) return 'ERASED';
  if (user.deletedAt) return 'DELETED';
  if (isSuspended(user, now)) return 'SUSPENDED';
  return user.isActive ? 'ACTIVE' : 'INACTIVE';
}

/** suspendedAt's twin. */
export function isSuspended(user: Pick<UserColumnValues, 'suspendedAt' | 'suspendedUntil'>, now: Date): boolean {
  return user.suspendedAt != null && (user.suspendedUntil == null || user.suspendedUntil > now);
}
