// The zod schemas of /api/users: requests (validated by the routes) and responses (what the
// encoders produce). openapi.document.ts turns the same schemas into the OpenAPI document, so
// the document cannot drift from what the server checks and answers. Request bodies are the
// service's own rulebook (user.validation.ts): one set of input rules for GraphQL, CSV and REST.
import { z } from 'zod';
import { BULK_ACTIONS } from '../events/user-event.model.js';
import { BULK_FAILURE_CODES } from '../users/lifecycle/lifecycle.service.js';
import { DELETED_MODES, MAX_OFFSET_ROWS, MAX_PAGE_SIZE, SORT_FIELDS, SORT_KEYS, type SortKey } from '../users/listing/listing.model.js';
import { EXPORT_FORMATS, USER_FIELDS } from '../users/export/export.model.js';
import { IMPORT_MODES, IMPORT_STATUSES } from '../users/import/import.model.js';
import { ROLES, USER_STATUSES } from '../users/user.model.js';
import { createUserSchema, reasonRule, updateUserSchema } from '../users/user.validation.js';
import { boolParam, dateTimeParam, intParam, listParam } from './rest.params.js';

const dateTime = z.iso.datetime();
const uuid = z.string().meta({ format: 'uuid' });

// ---- Responses -------------------------------------------------------------------------------

export const userSchema = z
  .object({
    id: uuid,
    email: z.string(),
    name: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    role: z.enum(ROLES),
    isActive: z.boolean(),
    isEmailVerified: z.boolean(),
    status: z.enum(USER_STATUSES),
    version: z.number().int().meta({ description: 'Increases with every change; the ETag is this number in quotes.' }),
    externalId: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()).nullable(),
    lastLoginAt: dateTime.nullable(),
    lockedUntil: dateTime.nullable(),
    suspendedAt: dateTime.nullable(),
    suspendedUntil: dateTime.nullable(),
    suspensionReason: z.string().nullable(),
    passwordChangeRequired: z.boolean(),
    createdAt: dateTime,
    updatedAt: dateTime,
    deletedAt: dateTime.nullable(),
    erasedAt: dateTime.nullable(),
    createdById: uuid.nullable(),
    updatedById: uuid.nullable(),
    deletedById: uuid.nullable(),
  })
  .strict()
  .meta({ id: 'User', description: 'A user. passwordHash is never part of it.' });

export const userPageSchema = z
  .object({
    data: z.array(userSchema),
    pagination: z
      .object({
        limit: z.number().int(),
        page: z.number().int().optional().meta({ description: 'Present when the request paged by `page`.' }),
        nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page (null on the last page).' }),
        hasNextPage: z.boolean(),
        total: z.number().int().optional().meta({ description: 'Users matching the filters (all pages); only with `total=true`.' }),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'UserPage' });

export const errorSchema = z
  .object({
    code: z.string().meta({ description: 'Stable code, the same as the GraphQL API\'s `extensions.code`.' }),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() }).strict()).meta({ description: 'Each bad field, by its name in the request.' }),
    meta: z.record(z.string(), z.unknown()).optional().meta({ description: 'Other facts: retryAfter, actualVersion, field, limitBytes.' }),
  })
  .strict()
  .meta({ id: 'Error' });

export const statsSchema = z
  .object({
    total: z.number().int(),
    active: z.number().int(),
    inactive: z.number().int(),
    suspended: z.number().int(),
    deleted: z.number().int(),
    verified: z.number().int(),
    unverified: z.number().int(),
    createdInRange: z.number().int(),
    loggedInInRange: z.number().int(),
    from: dateTime,
    to: dateTime,
    byRole: z.array(z.object({ role: z.enum(ROLES), count: z.number().int() }).strict()),
    signupsByDay: z.array(z.object({ date: z.string().meta({ format: 'date' }), count: z.number().int() }).strict()),
  })
  .strict()
  .meta({ id: 'UserStats' });

export const bulkResultSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    requested: z.number().int(),
    succeeded: z.array(z.string()),
    failed: z.array(z.object({ id: z.string(), code: z.enum(BULK_FAILURE_CODES), message: z.string() }).strict()),
  })
  .strict()
  .meta({ id: 'BulkActionResult', description: 'Partial failures are data: requested = succeeded + failed.' });

export const importResultSchema = z
  .object({
    id: uuid,
    status: z.enum(IMPORT_STATUSES),
    filename: z.string(),
    mode: z.enum(IMPORT_MODES),
    dryRun: z.boolean(),
    totalRows: z.number().int(),
    processedRows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    errorCount: z.number().int(),
    lastCommittedRow: z.number().int(),
    failure: z.object({ code: z.string(), message: z.string() }).strict().nullable(),
    startedAt: dateTime,
    finishedAt: dateTime.nullable(),
    errors: z
      .array(z.object({ row: z.number().int(), email: z.string().nullable(), field: z.string(), code: z.string(), message: z.string() }).strict())
      .meta({ description: 'The first row errors in file order (row 1 is the header).' }),
  })
  .strict()
  .meta({ id: 'ImportResult' });

// ---- Requests --------------------------------------------------------------------------------

export const idParams = z.object({ id: z.string().meta({ description: 'The user id (a UUID).', format: 'uuid' }) });

export const createUserBody = createUserSchema.meta({ id: 'CreateUser' });
export const updateUserBody = updateUserSchema.meta({ id: 'UpdateUser', description: 'Partial: omitted fields stay, null clears.' });

export const suspendBody = z
  .object({
    reason: reasonRule,
    until: dateTime.nullable().optional().meta({ description: 'Must be in the future; omit for an open-ended suspension.' }),
  })
  .strict()
  .meta({ id: 'Suspension' });

export const bulkBody = z
  .object({ ids: z.array(z.string()).min(1).meta({ description: 'At most 1,000; repeated ids count once.' }) })
  .strict()
  .meta({ id: 'BulkIds' });

/** `createdAt:desc` style keys, by the record's field names. */
const SORT_NAMES = Object.fromEntries(SORT_FIELDS.map((f) => [SORT_KEYS[f], f])) as Record<string, (typeof SORT_FIELDS)[number]>;

const sortParam = z
  .string()
  .transform((text, ctx): SortKey[] => {
    const keys: SortKey[] = [];
    for (const part of text.split(',')) {
      const [name = '', direction = 'asc', ...rest] = part.trim().split(':');
      const field = SORT_NAMES[name];
      const dir = direction.toLowerCase();
      if (!field || rest.length || (dir !== 'asc' && dir !== 'desc')) {
        ctx.addIssue({ code: 'custom', message: `"${part.slice(0, 40)}" is not field:asc or field:desc with a field of ${Object.keys(SORT_NAMES).join(', ')}` });
        return z.NEVER;
      }
      keys.push({ field, direction: dir === 'asc' ? 'ASC' : 'DESC' });
    }
    return keys;
  })
  .meta({ description: `Comma-separated \`field:asc|desc\` keys; fields: ${Object.keys(SORT_NAMES).join(', ')}. Default createdAt:desc; ties broken by id.` });

/** The listing's filters as query parameters (list and export share them). */
export const filterQuery = {
  search: z.string().optional().meta({ description: 'Case-insensitive substring of email, name, first or last name (≤ 100 characters).' }),
  isActive: boolParam('Only active (true) or deactivated (false) users.').optional(),
  isEmailVerified: boolParam('Only verified (true) or unverified (false) emails.').optional(),
  role: listParam(ROLES, 'One or more roles: repeat the parameter or separate by commas.').optional(),
  status: listParam(USER_STATUSES, 'One or more derived statuses.').optional(),
  createdFrom: dateTimeParam('Created at or after this time.').optional(),
  createdTo: dateTimeParam('Created before this time.').optional(),
  deleted: z.enum(DELETED_MODES).optional().meta({ description: 'EXCLUDE (default), INCLUDE or ONLY soft-deleted users; the last two need ADMIN.' }),
};

export const listQuery = z
  .object({
    limit: intParam(1, MAX_PAGE_SIZE, `Page size, 1..${MAX_PAGE_SIZE} (default 20).`).optional(),
    cursor: z.string().optional().meta({ description: 'The `nextCursor` of the previous page (keyset paging; belongs to one `sort`).' }),
    page: intParam(1, 1_000_000, `Offset paging, from 1; (page - 1) × limit may be at most ${MAX_OFFSET_ROWS}. Not with cursor.`).optional(),
    sort: sortParam.optional(),
    total: boolParam('Also count every matching user (one more COUNT statement).').optional(),
    ...filterQuery,
  })
  .strict();

export const exportQuery = z
  .object({
    format: z.enum(['csv', 'json', 'ndjson', ...EXPORT_FORMATS]).transform((f) => f.toUpperCase() as (typeof EXPORT_FORMATS)[number]),
    fields: listParam(USER_FIELDS, 'Columns to export (default all).').optional(),
    bom: boolParam('CSV only: start with a UTF-8 byte order mark (for Excel).').optional(),
    ...filterQuery,
  })
  .strict();

export const importQuery = z
  .object({
    mode: z.enum(IMPORT_MODES).optional().meta({ description: 'INSERT (default), UPSERT or SKIP_EXISTING.' }),
    dryRun: boolParam('Validate every row and write nothing.').optional(),
  })
  .strict();

export const importBody = z
  .object({ file: z.string().meta({ format: 'binary', description: 'The CSV file.' }) })
  .meta({ id: 'ImportUpload' });

export const statsQuery = z
  .object({
    from: dateTimeParam('Start of the range (default: 30 days before `to`).').optional(),
    to: dateTimeParam('End of the range (default: now).').optional(),
  })
  .strict();

export const ifMatchHeader = z.string().meta({ description: 'The user\'s ETag (`"<version>"`): the update fails with 412 when the user changed since.' });
export const etagHeader = z.string().meta({ description: 'The user\'s version in quotes, e.g. `"3"`.' });
