// Custom attributes: a JSON object other domains hang on a user (`{ "plan": "pro", "flags": {
// "beta": true } }`). The limits keep one user's row small and every key addressable by a
// filter path; they apply to whatever would be stored (a created or replaced object, the result
// of a merge patch, an imported cell). Pure functions: validation, RFC 7396 merge patch, the
// per-key diff that UserUpdated reports, and the filter's conditions.
import { BadUserInputError, type FieldProblem } from '../errors.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Serialized (JSON.stringify, UTF-8) size of the whole object. */
export const ATTRIBUTES_MAX_BYTES = 16 * 1024;
/** Nesting: the object itself is depth 1, an object or array inside it depth 2, and so on. */
export const ATTRIBUTES_MAX_DEPTH = 5;
export const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
/** Conditions per filter; each is one index probe at most. */
export const MAX_ATTRIBUTE_CONDITIONS = 20;
export const MAX_ATTRIBUTE_IN_VALUES = 100;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What is wrong with `value` as stored attributes, or undefined. The first problem found is named
 * with its path (`flags.beta`), so a client can find it in a large object.
 */
export function attributesProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return 'must be a JSON object';
  const problem = walk(value, [], 1);
  if (problem) return problem;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > ATTRIBUTES_MAX_BYTES) return `must be at most ${ATTRIBUTES_MAX_BYTES} bytes serialized (is ${bytes})`;
  return undefined;
}

function walk(value: unknown, path: string[], depth: number): string | undefined {
  const at = path.length ? ` (at ${path.join('.')})` : '';
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string') return textProblem(value) ? `strings must not contain NUL or lone surrogates${at}` : undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `numbers must be finite${at}`;
  if (depth > ATTRIBUTES_MAX_DEPTH) return `must be nested at most ${ATTRIBUTES_MAX_DEPTH} levels deep${at}`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = walk(item, [...path, String(i)], depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isJsonObject(value)) return `holds a value that is not JSON${at}`;
  for (const [key, item] of Object.entries(value)) {
    if (!ATTRIBUTE_KEY.test(key))
      return `key ${JSON.stringify(key.slice(0, 80))} must be 1-64 characters of A-Z a-z 0-9 _ . -${at}`;
    const problem = walk(item, [...path, key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

// PostgreSQL's jsonb cannot hold \u0000, and a lone surrogate has no UTF-8 form.
function textProblem(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Throws BAD_USER_INPUT on `field` unless `value` is storable attributes. */
export function assertAttributes(value: unknown, field: string): JsonObject {
  const problem = attributesProblem(value);
  if (problem) throw BadUserInputError.field(field, problem);
  return value as JsonObject;
}

/** RFC 7396: objects merge key by key, `null` removes a key, anything else replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Top-level keys whose value differs, each with its old and new value as JSON text (null: absent). */
export function attributeChanges(
  before: JsonValue | null,
  after: JsonValue | null,
): { key: string; from: string | null; to: string | null }[] {
  const a = isJsonObject(before) ? before : {};
  const b = isJsonObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: { key: string; from: string | null; to: string | null }[] = [];
  for (const key of keys) {
    const from = key in a ? canonical(a[key]!) : null;
    const to = key in b ? canonical(b[key]!) : null;
    if (from !== to) out.push({ key, from, to });
  }
  return out;
}

/** JSON text with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// --- Filtering -----------------------------------------------------------------------------------

/** One attribute condition of UserFilter.attributes, as the API takes it. */
export interface AttributeConditionInput {
  path: string;
  eq?: unknown;
  in?: unknown[] | null;
  exists?: boolean | null;
  gte?: number | null;
  lt?: number | null;
}

/** A checked condition: the path split into keys, exactly one kind of test. */
export type AttributeCondition =
  | { path: string[]; op: 'eq'; value: JsonValue }
  | { path: string[]; op: 'in'; values: JsonValue[] }
  | { path: string[]; op: 'exists'; exists: boolean }
  | { path: string[]; op: 'range'; gte?: number; lt?: number };

/**
 * Checks `filter.attributes`, collecting every problem (named `filter.attributes.<i>.<field>`).
 * A path is keys joined by dots (`flags.beta`): a key that itself holds a dot can be stored but
 * only the whole-segment form is addressable.
 */
export function parseAttributeConditions(
  input: readonly AttributeConditionInput[],
  problems: FieldProblem[],
): AttributeCondition[] {
  const out: AttributeCondition[] = [];
  if (input.length > MAX_ATTRIBUTE_CONDITIONS) {
    problems.push({ field: 'filter.attributes', message: `must list at most ${MAX_ATTRIBUTE_CONDITIONS} conditions` });
    return out;
  }
  input.forEach((c, i) => {
    const at = `filter.attributes.${i}`;
    const path = typeof c.path === 'string' ? c.path.split('.') : [];
    if (path.length === 0 || path.length > ATTRIBUTES_MAX_DEPTH || !path.every((k) => ATTRIBUTE_KEY.test(k))) {
      problems.push({
        field: `${at}.path`,
        message: `must be 1 to ${ATTRIBUTES_MAX_DEPTH} keys of A-Z a-z 0-9 _ - joined by dots`,
      });
      return;
    }
    const given = [c.eq !== undefined, c.in != null, c.exists != null, c.gte != null || c.lt != null].filter(Boolean).length;
    if (given !== 1) {
      problems.push({ field: at, message: 'give exactly one of eq, in, exists, or a gte/lt range' });
      return;
    }
    if (c.eq !== undefined) {
      if (!isScalar(c.eq)) problems.push({ field: `${at}.eq`, message: 'must be a string, number or boolean' });
      else out.push({ path, op: 'eq', value: c.eq });
    } else if (c.in != null) {
      if (c.in.length === 0 || c.in.length > MAX_ATTRIBUTE_IN_VALUES) {
        problems.push({ field: `${at}.in`, message: `must list 1 to ${MAX_ATTRIBUTE_IN_VALUES} values` });
      } else if (!c.in.every(isScalar))
        problems.push({ field: `${at}.in`, message: 'values must be strings, numbers or booleans' });
      else out.push({ path, op: 'in', values: c.in });
    } else if (c.exists != null) {
      out.push({ path, op: 'exists', exists: c.exists });
    } else {
      const range: { gte?: number; lt?: number } = {};
      if (c.gte != null) range.gte = c.gte;
      if (c.lt != null) range.lt = c.lt;
      if (![range.gte, range.lt].every((n) => n === undefined || Number.isFinite(n))) {
        problems.push({ field: at, message: 'gte and lt must be finite numbers' });
      } else out.push({ path, op: 'range', ...range });
    }
  });
  return out;
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    (typeof value === 'string' && !textProblem(value)) ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** `{"flags":{"beta":true}}` for path [flags, beta] and value true: what @> looks for. */
export function containment(path: readonly string[], value: JsonValue): string {
  let doc: JsonValue = value;
  for (let i = path.length - 1; i >= 0; i--) doc = { [path[i]!]: doc };
  return JSON.stringify(doc);
}

/** The SQL/JSON path of the keys (`$."flags"."beta"`); keys are checked, so quoting is enough. */
export function jsonPath(path: readonly string[]): string {
  return `$${path.map((k) => `.${JSON.stringify(k)}`).join('')}`;
}
