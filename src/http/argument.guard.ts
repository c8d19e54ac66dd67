// The first line of input checking, for every field of the schema at once: no String or ID
// argument, at any depth of any input object or list, may hold text the database cannot store
// exactly (NUL, lone surrogates: see text.ts). A request that does is BAD_USER_INPUT naming
// each bad argument by its path (`input.name`, `filter.ids.3`), before any resolver runs.
//
// Why a schema-wide guard as well as the rulebook: the rulebook (user.validation.ts and the
// services) knows what each field means and is what library callers and CSV rows go through,
// but a new argument added without a rule would otherwise take a NUL straight to PostgreSQL and
// answer 500. This guard needs no per-field code, so it covers arguments nobody thought about.
//
// It wraps `resolve` and `subscribe` in the executable schema, so HTTP and WebSocket are both
// covered, and only fields that have a text argument pay for it. Like GraphQL's own type checks
// of variables, it runs before authorization: the answer depends only on the request's text.
import {
  defaultFieldResolver,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { BadUserInputError, type FieldProblem } from '../errors.js';
import { storableTextProblem } from '../text.js';

const TEXT_SCALARS = new Set(['String', 'ID']);

/** Wraps every field that takes text arguments with the check; returns the same schema. */
export function guardTextArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((arg) => carriesText(arg.type, new Set()))) guard(field);
    }
  }
  return schema;
}

/** Problems with the text in `args` (already coerced by GraphQL), named by argument path. */
function textArgumentProblems(definitions: readonly GraphQLArgument[], args: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const arg of definitions) collect(arg.type, args[arg.name], arg.name, problems);
  return problems;
}

function guard(field: GraphQLField<unknown, unknown>): void {
  const check = (args: Record<string, unknown>) => {
    const problems = textArgumentProblems(field.args, args);
    if (problems.length) throw new BadUserInputError(problems);
  };
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = (root, args: Record<string, unknown>, context, info) => {
    check(args);
    return resolve(root, args, context, info);
  };
  const subscribe = field.subscribe;
  if (subscribe) {
    field.subscribe = (root, args: Record<string, unknown>, context, info) => {
      check(args);
      return subscribe(root, args, context, info);
    };
  }
}

function carriesText(type: GraphQLInputType, seen: Set<string>): boolean {
  if (isNonNullType(type) || isListType(type)) return carriesText(type.ofType, seen);
  if (isScalarType(type)) return TEXT_SCALARS.has(type.name);
  if (isInputObjectType(type)) {
    if (seen.has(type.name)) return false;
    seen.add(type.name);
    return Object.values(type.getFields()).some((f) => carriesText(f.type, seen));
  }
  return false;
}

function collect(type: GraphQLInputType, value: unknown, path: string, problems: FieldProblem[]): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return collect(type.ofType, value, path, problems);
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((item, i) => collect(type.ofType, item, `${path}.${i}`, problems));
    return;
  }
  if (isInputObjectType(type)) {
    const fields = value as Record<string, unknown>;
    for (const f of Object.values(type.getFields())) collect(f.type, fields[f.name], `${path}.${f.name}`, problems);
    return;
  }
  if (isScalarType(type) && TEXT_SCALARS.has(type.name) && typeof value === 'string') {
    const problem = storableTextProblem(value);
    if (problem) problems.push({ field: path, message: problem });
  }
}
