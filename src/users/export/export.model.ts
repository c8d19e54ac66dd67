// The export contract in domain terms: formats, the fields a client may pick, and what each field
// is called in a file. The names are the User type's field names, which are also the CSV import's
// column names, so an exported CSV imports back as it is.
import { columnSpec, RECORD_FIELDS, type RecordField, type UserColumns } from '../user.columns.js';
import type { UserRecord, UserStatus } from '../user.model.js';
import type { UserFilter } from '../listing/listing.model.js';

export const EXPORT_FORMATS = ['CSV', 'JSON', 'NDJSON'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const USER_FIELDS = [
  'ID',
  'EMAIL',
  'NAME',
  'FIRST_NAME',
  'LAST_NAME',
  'PHONE_NUMBER',
  'AVATAR_URL',
  'EXTERNAL_ID',
  'ROLE',
  'IS_ACTIVE',
  'IS_EMAIL_VERIFIED',
  'STATUS',
  'SUSPENDED_AT',
  'SUSPENDED_UNTIL',
  'SUSPENSION_REASON',
  'LAST_LOGIN_AT',
  'CREATED_AT',
  'UPDATED_AT',
  'DELETED_AT',
  'VERSION',
  'ATTRIBUTES',
] as const;
export type UserField = (typeof USER_FIELDS)[number];

/**
 * What an export reads per user: the stored columns and `status`, derived (as the User type
 * derives it) at the moment the export was asked for.
 */
export type ExportRow = UserRecord & { status?: UserStatus };

/** Record fields an export can hold: the exported columns and status. passwordHash is not one and cannot be asked for. */
export type ExportedKey = ExportedColumn | 'status';

/** An exported field that is a stored column (STATUS is derived). */
type StoredField = Exclude<UserField, 'STATUS'>;
type ExportedColumn = { [K in RecordField]: UserColumns[K] extends { export: string } ? K : never }[RecordField];
type ColumnExportedAs<N> = { [K in ExportedColumn]: UserColumns[K] extends { export: N } ? K : never }[ExportedColumn];
/** Per stored field, the column the users column map exports as it; a field none does fails to compile. */
type ExportColumns = { [N in StoredField]: [ColumnExportedAs<N>] extends [never] ? `no column in user.columns.ts is exported as ${N}` : ColumnExportedAs<N> };

/** The users column each stored field reads. */
export const EXPORT_COLUMNS: Record<StoredField, ExportedColumn> = Object.fromEntries(
  RECORD_FIELDS.flatMap((field) => {
    const name = columnSpec(field).export;
    return name ? [[name, field]] : [];
  }),
) as ExportColumns;

/** What each field is called in a file: its record field name (CSV header, JSON key). */
export const FIELD_KEYS: Record<UserField, ExportedKey> = { ...EXPORT_COLUMNS, STATUS: 'status' };

/**
 * Columns an export writes that the importer cannot set (ids and timestamps are the server's;
 * status and suspension change through their own mutations, with their events). The importer
 * accepts and ignores them, which is what lets an exported file round-trip.
 */
export const READ_ONLY_KEYS: readonly ExportedKey[] = [
  'id',
  'status',
  'suspendedAt',
  'suspendedUntil',
  'suspensionReason',
  'lastLoginAt',
  'createdAt',
  'updatedAt',
  'deletedAt',
  'version',
];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  CSV: 'text/csv; charset=utf-8',
  JSON: 'application/json; charset=utf-8',
  NDJSON: 'application/x-ndjson; charset=utf-8',
};

/** A position in an export's keyset order, (createdAt, id): where one batch ends and the next starts. */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** What a signed link is bound to (stored in user_exports). */
export interface ExportRequest {
  id: string;
  format: ExportFormat;
  fields: UserField[];
  filter: UserFilter;
  /** CSV only: the file starts with a UTF-8 byte order mark, so Excel reads it as UTF-8. */
  bom: boolean;
  createdById: string | null;
  /** Also the instant the filter's derived status is evaluated at. */
  createdAt: Date;
  expiresAt: Date;
  /**
   * Set for a subject access export (exportUserData): the link streams this user's data as one
   * JSON document instead of rows (format is then JSON; stored as SUBJECT_ACCESS).
   */
  subjectAccessUserId?: string;
}

/** user_exports.format of a subject access export. */
export const SUBJECT_ACCESS_FORMAT = 'SUBJECT_ACCESS';

export interface ExportLink {
  url: string;
  expiresAt: Date;
  format: ExportFormat;
  fields: UserField[];
  bom: boolean;
}

/** Link lifetime: long enough to click, short enough that a leaked URL soon stops working. */
export const EXPORT_LINK_TTL_SECONDS = 15 * 60;
