// Input rules shared by every way in (GraphQL, CSV import, library use): one place decides
// what a valid email, password or phone number is. Errors name the field.
import { z } from 'zod';
import { BadUserInputError, type FieldProblem } from '../errors.js';
import { ROLES } from './user.model.js';

const BCRYPT_MAX_BYTES = 72;
const E164 = /^\+[1-9]\d{1,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Trimmed text; blank becomes null (clears the field). */
const text = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().max(max, `must be at most ${max} characters`))
    .transform((s) => (s === '' ? null : s))
    .nullable();

export const emailRule = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.string().max(255, 'must be at most 255 characters').email('must be a valid email address'));

export const passwordRule = z
  .string()
  .refine((p) => p.length >= 8, 'must be at least 8 characters')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= BCRYPT_MAX_BYTES, `must be at most ${BCRYPT_MAX_BYTES} bytes`);

const phoneRule = z
  .string()
  .transform((s) => s.trim().replace(/[\s().-]/g, ''))
  .transform((s) => (s === '' ? null : s))
  .pipe(z.string().regex(E164, 'must be in E.164 form, e.g. +14155550123').nullable())
  .nullable();

const avatarRule = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? null : s))
  .pipe(
    z
      .string()
      .max(512, 'must be at most 512 characters')
      .refine(isHttpUrl, 'must be an http(s) URL')
      .nullable(),
  )
  .nullable();

const profileShape = {
  name: text(255).optional(),
  firstName: text(100).optional(),
  lastName: text(100).optional(),
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

export function assertUuid(id: string, field = 'id'): string {
  if (!UUID.test(id)) throw BadUserInputError.field(field, 'must be a UUID');
  return id.toLowerCase();
}

export function isUuid(id: string): boolean {
  return UUID.test(id);
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
