// Query-string decoders for REST parameters, as zod schemas: each validates the text a URL
// carries and turns it into the domain's value. A query string is text on the wire, but a
// client wants to read `integer` or `boolean` in the document: `paramSchema` holds the JSON
// Schema each decoder documents (openapi.document.ts reads it), next to the code that decodes it.
import { z } from 'zod';

const documented = new WeakMap<z.ZodType, Record<string, unknown>>();

/** The JSON Schema a parameter decoder documents, if it is one of these. */
export function paramSchema(schema: z.ZodType): Record<string, unknown> | undefined {
  return documented.get(schema);
}

function param<T extends z.ZodType>(schema: T, description: string, jsonSchema: Record<string, unknown>): T {
  const described = schema.meta({ description });
  documented.set(described, jsonSchema);
  return described;
}

/** A whole number in [min, max], written in decimal. */
export function intParam(min: number, max: number, description: string) {
  const schema = z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
  return param(schema, description, { type: 'integer', minimum: min, maximum: max });
}

/** `true` or `false`. */
export function boolParam(description: string) {
  const schema = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
  return param(schema, description, { type: 'boolean' });
}

/** An RFC 3339 date-time with an offset (`2026-01-01T00:00:00Z`). */
export function dateTimeParam(description: string) {
  const schema = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-01-01T00:00:00Z' }).transform((s) => new Date(s));
  return param(schema, description, { type: 'string', format: 'date-time' });
}

/**
 * One or more of `values`: repeated (`role=ADMIN&role=VIEWER`) or comma-separated
 * (`role=ADMIN,VIEWER`), in any letter case.
 */
export function listParam<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  const schema = z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean))
    .pipe(z.array(z.enum(values as unknown as [T[number], ...T[number][]]), { error: `must be one or more of ${values.join(', ')}` }).min(1));
  return param(schema, description, { type: 'array', items: { type: 'string', enum: [...values] } });
}
