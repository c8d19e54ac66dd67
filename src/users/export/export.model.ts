// The export contract in domain terms: formats, the fields a client may pick, and what each field
// is called in a file. The names are the User type's field names, which are also the CSV import's
// column names, so an exported CSV imports back as it is.
import type { UserRecord } from '../user.model.js';
import type { UserFilter, UserStatus } from '../listing/listing.model.js';

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
] as const;
export type UserField = (typeof USER_FIELDS)[number];

/**
 * What an export reads per user: the stored columns and `status`, derived (as the User type
 * derives it) at the moment the export was asked for.
 */
export type ExportRow = UserRecord & { status?: UserStatus };

/** Exported user columns. passwordHash is not here and cannot be asked for. */
export type ExportedKey = Exclude<keyof ExportRow, 'createdById' | 'updatedById' | 'deletedById' | 'passwordHash'>;

export const FIELD_KEYS: Record<UserField, ExportedKey> = {
  ID: 'id',
  EMAIL: 'email',
  NAME: 'name',
  FIRST_NAME: 'firstName',
  LAST_NAME: 'lastName',
  PHONE_NUMBER: 'phoneNumber',
  AVATAR_URL: 'avatarUrl',
  ROLE: 'role',
  IS_ACTIVE: 'isActive',
  IS_EMAIL_VERIFIED: 'isEmailVerified',
  STATUS: 'status',
  SUSPENDED_AT: 'suspendedAt',
  SUSPENDED_UNTIL: 'suspendedUntil',
  SUSPENSION_REASON: 'suspensionReason',
  LAST_LOGIN_AT: 'lastLoginAt',
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  DELETED_AT: 'deletedAt',
  VERSION: 'version',
};

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
}

export interface ExportLink {
  url: string;
  expiresAt: Date;
  format: ExportFormat;
  fields: UserField[];
  bom: boolean;
}

/** Link lifetime: long enough to click, short enough that a leaked URL soon stops working. */
export const EXPORT_LINK_TTL_SECONDS = 15 * 60;
