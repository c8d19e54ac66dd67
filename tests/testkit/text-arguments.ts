// Every place a client can put text: each String or ID position in the arguments of every root
// field, at any depth of input objects and lists, found by walking the built schema (so a new
// argument is covered without touching the tests). Each position can build a request that puts
// a chosen string there and fills the other required arguments with plausible values.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

export type RootKind = 'query' | 'mutation' | 'subscription';

export interface TextPosition {
  kind: RootKind;
  field: string;
  /** Dotted path as the API names it in BAD_USER_INPUT (`input.name`, `filter.ids.0`). */
  path: string;
  /** The request with `value` at this position. */
  request(value: string, fill: Filler): { query: string; variables: Record<string, unknown> };
}

/** Plausible values for the other required text arguments, by argument or field name. */
export type Filler = (name: string, scalar: 'String' | 'ID') => string;

export const plainFiller: Filler = (name, scalar) => (scalar === 'ID' ? '00000000-0000-4000-8000-000000000000' : `${name}-value`);

const FUTURE = '2099-01-01T00:00:00.000Z';

export function textPositions(schema: GraphQLSchema): TextPosition[] {
  const roots: [RootKind, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  const positions: TextPosition[] = [];
  for (const [kind, type] of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      // A required Upload cannot travel in a JSON request; such fields are tested with uploads.
      if (field.args.some((a) => isNonNullType(a.type) && getNamedType(a.type).name === 'Upload')) continue;
      for (const arg of field.args) {
        for (const path of leafPaths(arg.type, [arg.name], new Set())) {
          positions.push({
            kind,
            field: field.name,
            path: path.join('.'),
            request: (value, fill) => buildRequest(kind, field.name, field.args, getNamedType(field.type), path, value, fill),
          });
        }
      }
    }
  }
  return positions;
}

function leafPaths(type: GraphQLInputType, path: string[], seen: Set<string>): string[][] {
  if (isNonNullType(type)) return leafPaths(type.ofType, path, seen);
  if (isListType(type)) return leafPaths(type.ofType, [...path, '0'], seen);
  if (isScalarType(type)) return type.name === 'String' || type.name === 'ID' ? [path] : [];
  if (isInputObjectType(type) && !seen.has(type.name)) {
    const inner = new Set(seen).add(type.name);
    return Object.values(type.getFields()).flatMap((f) => leafPaths(f.type, [...path, f.name], inner));
  }
  return [];
}

function buildRequest(
  kind: RootKind,
  fieldName: string,
  args: readonly GraphQLArgument[],
  returns: ReturnType<typeof getNamedType>,
  path: string[],
  value: string,
  fill: Filler,
): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const uses: string[] = [];
  for (const arg of args) {
    const targeted = arg.name === path[0];
    if (!targeted && !isNonNullType(arg.type)) continue;
    variables[arg.name] = targeted ? valueAt(arg.type, path.slice(1), value, arg.name, fill) : filler(arg.type, arg.name, fill);
    declarations.push(`$${arg.name}: ${String(arg.type)}`);
    uses.push(`${arg.name}: $${arg.name}`);
  }
  const selection = isScalarType(returns) || isEnumType(returns) ? '' : ' { __typename }';
  const head = declarations.length ? `(${declarations.join(', ')})` : '';
  const call = uses.length ? `(${uses.join(', ')})` : '';
  return { query: `${kind}${head} { ${fieldName}${call}${selection} }`, variables };
}

function valueAt(type: GraphQLInputType, rest: string[], value: string, name: string, fill: Filler): unknown {
  if (isNonNullType(type)) return valueAt(type.ofType, rest, value, name, fill);
  if (isListType(type)) return [valueAt(type.ofType, rest.slice(1), value, name, fill)];
  if (isInputObjectType(type)) {
    const [key, ...deeper] = rest;
    const object = filler(type, name, fill) as Record<string, unknown>;
    const field = type.getFields()[key!]!;
    object[key!] = valueAt(field.type, deeper, value, field.name, fill);
    return object;
  }
  return value;
}

function filler(type: GraphQLInputType, name: string, fill: Filler): unknown {
  if (isNonNullType(type)) return filler(type.ofType, name, fill);
  if (isListType(type)) return [filler(type.ofType, name, fill)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const object: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) && f.defaultValue === undefined) object[f.name] = filler(f.type, f.name, fill);
    }
    return object;
  }
  switch (type.name) {
    case 'String':
    case 'ID':
      return fill(name, type.name);
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return FUTURE;
    case 'JSON':
      // patchUserAttributes(patch): an empty merge patch changes nothing.
      return {};
    default:
      throw new Error(`no filler for scalar ${type.name}: teach tests/testkit/text-arguments.ts`);
  }
}
