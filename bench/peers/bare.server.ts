// The ceiling: node:http + pg running exactly the SQL our server runs (built by the same
// listing.sql.ts functions, with the same cursors), with no GraphQL, no framework and no ORM.
// A JSON protocol of its own: POST /page, /count, /user, /me. Started by peers.bench.ts as its
// own process. Env: DATABASE_URL, PORT, HOST, DATABASE_POOL_SIZE, JWT_SECRET (+ JWT_ISSUER, JWT_AUDIENCE).
import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { Prisma } from '../../src/generated/prisma/client.js';
import { encodeCursor, decodeCursor } from '../../src/users/listing/listing.cursor.js';
import type { SortKey, UserFilter } from '../../src/users/listing/listing.model.js';
import { normalizeFilter, normalizeOrder } from '../../src/users/listing/listing.service.js';
import { countQuery, pageQuery } from '../../src/users/listing/listing.sql.js';
import { RECORD_FIELDS, selectList, type RecordField } from '../../src/users/user.columns.js';
import { tokenOptionsFromEnv, verifyHs256 } from './hs256.js';

// Timestamps as Date (as Prisma gives them), so cursors encode the same ISO strings.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const tokens = tokenOptionsFromEnv();

interface PageBody {
  first?: number;
  after?: string;
  filter?: UserFilter;
  orderBy?: SortKey[];
  fields: RecordField[];
}

async function query(sql: Prisma.Sql): Promise<Record<string, unknown>[]> {
  return (await pool.query(sql.text, sql.values)).rows as Record<string, unknown>[];
}

function pick(row: Record<string, unknown>, fields: RecordField[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

async function page(body: PageBody): Promise<unknown> {
  const order = normalizeOrder(body.orderBy);
  const filter = normalizeFilter(body.filter ?? {});
  const limit = body.first ?? 20;
  const from = body.after ? decodeCursor(body.after, order, 'after') : undefined;
  const rows = await query(pageQuery({ filter, order, limit, backward: false, from }, new Date(), { fields: body.fields }));
  const edges = rows.slice(0, limit).map((row) => ({
    cursor: encodeCursor(order, { values: order.map((k) => sortValue(row, k)), id: row.id as string }),
    node: pick(row, body.fields),
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

const SORT_FIELD_KEYS: Record<string, string> = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', EMAIL: 'email', NAME: 'name', LAST_NAME: 'lastName', LAST_LOGIN_AT: 'lastLoginAt' };
function sortValue(row: Record<string, unknown>, key: SortKey): string | null {
  const v = row[SORT_FIELD_KEYS[key.field]!];
  return v instanceof Date ? v.toISOString() : (v as string | null);
}

async function byId(id: string, fields: RecordField[]): Promise<unknown> {
  const rows = await query(Prisma.sql`SELECT ${Prisma.raw(selectList(withId(fields)))} FROM users u WHERE u.id = ${id}::uuid AND u.deleted_at IS NULL LIMIT 1`);
  return rows[0] ? pick(rows[0], fields) : null;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const subject = verifyHs256(req.headers.authorization, tokens);
  if (!subject) return send(res, 401, { error: 'unauthenticated' });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as PageBody & { id?: string };
  const fields = body.fields?.length ? body.fields : RECORD_FIELDS;
  switch (req.url ?? '') {
    case '/page':
      return send(res, 200, await page({ ...body, fields: withId(fields) }));
    case '/count':
      return send(res, 200, { totalCount: ((await query(countQuery(normalizeFilter(body.filter ?? {}), new Date())))[0] as { n: number }).n });
    case '/user':
      return send(res, 200, await byId(body.id!, fields));
    case '/me':
      return send(res, 200, await byId(subject, fields));
    default:
      return send(res, 404, { error: 'not found' });
  }
}

/** Cursors need the id and the sort keys: the page query selects them whatever is asked. */
function withId(fields: RecordField[]): RecordField[] {
  return fields.includes('id') ? fields : ['id', ...fields];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => send(res, 500, { error: error.message }));
});
const port = Number(process.env.PORT);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
const stop = () => {
  server.close();
  void pool.end().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
