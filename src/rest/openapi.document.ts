// The OpenAPI 3.1 document of the REST API, built from the operations' declarations
// (rest.operation.ts) and their zod schemas with zod's own JSON Schema output (draft 2020-12,
// which is OpenAPI 3.1's dialect). Nothing here is written by hand per endpoint: a new
// operation appears in the document by being declared. Schemas with an `id` (`.meta({ id })`)
// become components and are referenced.
import { z } from 'zod';
import { holdersOf } from '../auth/policy.js';
import { paramSchema } from './rest.params.js';
import type { RestOperation, RestRegistry } from './rest.operation.js';
import { errorSchema } from './user.schema.js';

type JsonSchema = Record<string, unknown>;

/** Every operation can answer these (bad input, no token, no permission, rate limit, bug, outage). */
const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid input: `details` names each bad field (code BAD_USER_INPUT, or BAD_REQUEST for an unreadable request).',
  401: 'No token, or an invalid, expired or revoked one (UNAUTHENTICATED).',
  403: 'The caller\'s role lacks the permission (FORBIDDEN).',
  429: 'Over a rate limit (TOO_MANY_REQUESTS); retry after Retry-After seconds.',
  500: 'An unexpected error (INTERNAL_SERVER_ERROR), logged with the x-request-id.',
  503: 'The database or Redis is unreachable (SERVICE_UNAVAILABLE); retry after Retry-After seconds.',
};
const OTHER_ERRORS: Record<number, string> = {
  404: 'No live user with that id (USER_MANAGEMENT_USER_NOT_FOUND).',
  409: 'Conflict: the email or external id is taken (USER_MANAGEMENT_USER_ALREADY_EXISTS).',
  411: 'An upload without Content-Length (BAD_REQUEST).',
  412: 'If-Match is stale: the user changed since (USER_MANAGEMENT_VERSION_CONFLICT; meta.actualVersion).',
  413: 'The upload exceeds UPLOAD_MAX_BYTES (UPLOAD_TOO_LARGE); nothing was written.',
  415: 'Not multipart/form-data (BAD_REQUEST).',
  422: 'The user is deactivated or erased (USER_MANAGEMENT_USER_INACTIVE, USER_MANAGEMENT_USER_ERASED).',
};

export function openApiDocument(api: RestRegistry, info: { title: string; version: string }): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
    // Schemas with an id come out in $defs, referenced as #/$defs/<id>: they become components.
    const json = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
    delete json.$schema;
    const defs = json.$defs as Record<string, JsonSchema> | undefined;
    delete json.$defs;
    for (const [id, def] of Object.entries(defs ?? {})) components[id] ??= def;
    // A schema that is itself a component: keep it once, refer to it.
    const id = typeof json.id === 'string' ? json.id : undefined;
    if (id) {
      delete json.id;
      components[id] ??= json;
      return { $ref: `#/components/schemas/${id}` };
    }
    return json;
  };
  const errorRef = convert(errorSchema, 'output');
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of api.operations) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      description: [op.description, permissionNote(op)].filter(Boolean).join('\n\n'),
      tags: [op.tag],
      ...(op.permission ? { security: [{ bearerAuth: [] }] } : { security: [] }),
      parameters: parameters(op, convert),
      ...(op.body ? { requestBody: requestBody(op, convert) } : {}),
      responses: {
        ...Object.fromEntries(
          Object.entries(op.responses).map(([status, r]) => [
            status,
            {
              description: r.description,
              ...(r.headers
                ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: convert(h.schema, 'output') }])) }
                : {}),
              ...(r.schema ? { content: { 'application/json': { schema: convert(r.schema, 'output') } } } : {}),
              // A JSON export is an array of user objects; CSV and NDJSON are text.
              ...(r.files ? { content: Object.fromEntries(r.files.map((type) => [type, { schema: type === 'application/json' ? { type: 'array', items: { type: 'object' } } : { type: 'string' } }])) } : {}),
            },
          ]),
        ),
        ...Object.fromEntries(op.errors.map((status) => [status, errorResponse(OTHER_ERRORS[status] ?? 'Error.')])),
        ...Object.fromEntries(Object.entries(COMMON_ERRORS).map(([status, text]) => [status, errorResponse(text)])),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'The users service over REST: the same services, rules, permissions, events and error codes as its GraphQL API (/graphql). Errors are `{ code, message, details, meta }` with the GraphQL API\'s codes.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The accessToken of the GraphQL `login` mutation (or POST /api/auth/login).' },
      },
    },
  };
}

function permissionNote(op: RestOperation): string {
  return op.permission ? `Permission \`${op.permission}\` (${holdersOf(op.permission)}).` : 'No token needed.';
}

type Convert = (schema: z.ZodType, io: 'input' | 'output') => JsonSchema;

function parameters(op: RestOperation, convert: Convert): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, object] of [['path', op.params], ['query', op.query]] as const) {
    for (const [name, schema] of Object.entries(object?.shape ?? {}) as [string, z.ZodType][]) {
      const optional = where === 'query' && schema.safeParse(undefined).success;
      const inner = unwrapOptional(schema);
      list.push({
        name,
        in: where,
        required: !optional,
        ...(descriptionOf(schema) ? { description: descriptionOf(schema) } : {}),
        schema: paramSchema(inner) ?? convert(inner, 'input'),
        ...(paramSchema(inner)?.type === 'array' ? { style: 'form', explode: true } : {}),
      });
    }
  }
  for (const [name, header] of Object.entries(op.requestHeaders ?? {})) {
    list.push({ name, in: 'header', required: header.required ?? false, description: header.description, schema: convert(header.schema, 'input') });
  }
  return list;
}

function requestBody(op: RestOperation, convert: Convert): JsonSchema {
  const type = op.multipart ? 'multipart/form-data' : 'application/json';
  return { required: true, content: { [type]: { schema: convert(op.body!, 'input') } } };
}

function unwrapOptional(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

function descriptionOf(schema: z.ZodType): string | undefined {
  let current: z.ZodType = schema;
  for (;;) {
    const description = z.globalRegistry.get(current)?.description;
    if (description) return description;
    if (!(current instanceof z.ZodOptional)) return undefined;
    current = current.unwrap() as z.ZodType;
  }
}
