// Input rules shared by every way in (GraphQL, CSV import, library use): one place decides
// what a valid email, password, name or phone number is, and which characters text may hold
// (src/text.ts). Errors name the field.
import { z } from 'zod';
import { BadUserInputError, type FieldProblem } from '../errors.js';
import { controlFreeTextProblem, displayTextProblem, storableTextProblem } from '../text.js';
import { ROLES } from './user.model.js';
import { attributesProblem, type JsonObject } from './user.attributes.js';

const BCRYPT_MAX_BYTES = 72;
const E164 = /^\+[1-9]\d{1,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** RFC 5321 4.5.3.1: local part at most 64 octets, domain at most 255; the whole column holds 255. */
const EMAIL_MAX = 255;
const EMAIL_LOCAL_MAX_OCTETS = 64;
export const MAX_REASON_LENGTH = 500;

/** A string that passes one of text.ts's character checks; the check's message is the error. */
const chars = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

/**
 * A name: trimmed, blank becomes null (clears the field); no control, bidirectional formatting
 * or lone surrogate characters (checked after trimming, so a trailing newline is just trimmed).
 */
const nameText = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(chars(displayTextProblem))
    .pipe(z.string().max(max, `must be at most ${max} characters`))
    .transform((s) => (s === '' ? null : s))
    .nullable();

export const emailRule = chars(storableTextProblem)
  .transform((s) => s.trim().toLowerCase())
  .pipe(
    z
      .string()
      .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
      .email('must be a valid email address')
      .refine(
        (email) => Buffer.byteLength(email.slice(0, email.lastIndexOf('@')), 'utf8') <= EMAIL_LOCAL_MAX_OCTETS,
        `the part before @ must be at most ${EMAIL_LOCAL_MAX_OCTETS} octets`,
      ),
  );

// Any character a person can type is allowed in a password except NUL and lone surrogates: bcrypt
// implementations differ on NUL (C ones stop there), and a lone surrogate has no UTF-8 form, so
// two different passwords would hash the same.
export const passwordRule = chars(storableTextProblem)
  .refine((p) => p.length >= 8, 'must be at least 8 characters')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= BCRYPT_MAX_BYTES, `must be at most ${BCRYPT_MAX_BYTES} bytes`);

const phoneRule = z
  .string()
  .transform((s) => s.trim().replace(/[\s().-]/g, ''))
  .transform((s) => (s === '' ? null : s))
  .pipe(z.string().regex(E164, 'must be in E.164 form, e.g. +14155550123').nullable())
  .nullable();

// URL parsers drop tabs and newlines silently, so the check is on the text as given.
const avatarRule = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? null : s))
  .pipe(
    chars(controlFreeTextProblem)
      .max(512, 'must be at most 512 characters')
      .refine(isHttpUrl, 'must be an http(s) URL')
      .nullable(),
  )
  .nullable();

/** The id of the user in another system: case-sensitive, trimmed, blank means none. */
export const EXTERNAL_ID_MAX = 255;
const externalIdRule = z
  .string()
  .transform((s) => s.trim())
  .pipe(chars(controlFreeTextProblem))
  .pipe(z.string().max(EXTERNAL_ID_MAX, `must be at most ${EXTERNAL_ID_MAX} characters`))
  .transform((s) => (s === '' ? null : s))
  .nullable();

/** Custom attributes (user.attributes.ts): null clears them. */
export const attributesRule = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value === null) return;
    const message = attributesProblem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  })
  .transform((value) => value as JsonObject | null);

const profileShape = {
  name: nameText(255).optional(),
  firstName: nameText(100).optional(),
  lastName: nameText(100).optional(),
  phoneNumber: phoneRule.optional(),
  avatarUrl: avatarRule.optional(),
};

export const profileSchema = z.object(profileShape).strict();

export const updateUserSchema = z
  .object({
    ...profileShape,
    email: emailRule.optional(),
    password: passwordRule.nullable().optional(),
    role: z.enum(ROLES).optional(),
    isActive: z.boolean().optional(),
    isEmailVerified: z.boolean().optional(),
    attributes: attributesRule.optional(),
    externalId: externalIdRule.optional(),
  })
  .strict();

export const createUserSchema = updateUserSchema.extend({ email: emailRule });

export type ProfileInput = z.infer<typeof profileSchema>;
export type UpdateUserInput = z.infer<typeof updateUserSchema>;
export type CreateUserInput = z.infer<typeof createUserSchema>;

/**
 * Parses `value` with `schema`; on failure throws BAD_USER_INPUT listing every bad field,
 * prefixed with `prefix` (e.g. `input`) so the client sees `input.email`.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.infer<T> {
  const result = schema.safeParse(dropUndefined(value));
  if (result.success) return result.data;
  throw new BadUserInputError(zodProblems(result.error, prefix));
}

export function zodProblems(error: z.ZodError, prefix?: string): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.');
    return { field: [prefix, path].filter(Boolean).join('.') || (prefix ?? 'input'), message: issue.message };
  });
}

/**
 * A suspension reason: one line of text shown to admins (and in exports), trimmed, 1 to 500
 * characters, no control characters (newlines included), no bidirectional formatting.
 */
export const reasonRule = z
  .string()
  .transform((s) => s.trim())
  .pipe(chars(displayTextProblem))
  .pipe(z.string().min(1, 'must not be empty').max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`));

/**
 * An email to look a user up by (userByEmail, filter.email, login): normalized as stored. Text
 * that no stored email can contain (NUL, lone surrogates, control characters) is refused rather
 * than sent to the database.
 */
export function lookupEmail(email: string, field: string): string {
  const problem = lookupEmailProblem(email);
  if (problem) throw BadUserInputError.field(field, problem);
  return normalizeEmail(email);
}

/**
 * lookupEmail for login: longer than any stored email can be, it is refused as input (no account
 * can match it, so this says nothing about which exist) before the throttle and the login history,
 * whose columns hold what an email can hold.
 */
export function loginEmail(email: string, field: string): string {
  const key = lookupEmail(email, field);
  if (key.length > EMAIL_MAX) throw BadUserInputError.field(field, `must be at most ${EMAIL_MAX} characters`);
  return key;
}

export function lookupEmailProblem(email: string): string | undefined {
  return controlFreeTextProblem(email);
}

export function assertUuid(id: string, field = 'id'): string {
  if (!UUID.test(id)) throw BadUserInputError.field(field, 'must be a UUID');
  return id.toLowerCase();
}

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** A UUID exactly as the database prints it (lower case): what cursors carry. */
export function isCanonicalUuid(id: string): boolean {
  return CANONICAL_UUID.test(id);
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** GraphQL gives absent optional args as undefined; zod's strict() should not see them. */
function dropUndefined(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
