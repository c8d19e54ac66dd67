// Reads the rows our server would answer with, by exactly our SQL (the listing.sql.ts builders,
// the column map's select lists, our cursors), over a plain pg pool. The bare server runs it on
// every request; the stack floors (floor.schema.ts) run it once per distinct question and keep
// the answer.
import type pg from 'pg';
import { Prisma } from '../../src/generated/prisma/client.js';
import { encodeCursor, decodeCursor } from '../../src/users/listing/listing.cursor.js';
import type { SortKey, UserFilter } from '../../src/users/listing/listing.model.js';
import { normalizeFilter, normalizeOrder } from '../../src/users/listing/listing.service.js';
import { countQuery, pageQuery } from '../../src/users/listing/listing.sql.js';
import { selectList, type RecordField } from '../../src/users/user.columns.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  filter?: UserFilter | null;
  orderBy?: SortKey[] | null;
}

export type Row = Record<string, unknown>;

export interface RowPage {
  edges: { cursor: string; node: Row }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface RowReader {
  page(args: PageArgs, fields: RecordField[]): Promise<RowPage>;
  count(filter: UserFilter | null | undefined): Promise<number>;
  byId(id: string, fields: RecordField[]): Promise<Row | null>;
}

const SORT_FIELD_KEYS: Record<string, string> = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', EMAIL: 'email', NAME: 'name', LAST_NAME: 'lastName', LAST_LOGIN_AT: 'lastLoginAt' };

/** The pool must give timestamps as Date (pg's default, as Prisma does), so cursors encode the same ISO strings. */
export function rowReader(pool: pg.Pool): RowReader {
  const query = async (sql: Prisma.Sql): Promise<Row[]> => (await pool.query(sql.text, sql.values)).rows as Row[];
  return {
    async page(args, fields) {
      const order = normalizeOrder(args.orderBy);
      const filter = normalizeFilter(args.filter ?? {});
      const limit = args.first ?? 20;
      const from = args.after ? decodeCursor(args.after, order, 'after') : undefined;
      const rows = await query(pageQuery({ filter, order, limit, backward: false, from }, new Date(), { fields: withId(fields) }));
      const edges = rows.slice(0, limit).map((row) => ({
        cursor: encodeCursor(order, { values: order.map((k) => sortValue(row, k)), id: row.id as string }),
        node: pick(row, withId(fields)),
      }));
      return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
    },
    async count(filter) {
      return ((await query(countQuery(normalizeFilter(filter ?? {}), new Date())))[0] as { n: number }).n;
    },
    async byId(id, fields) {
      const rows = await query(Prisma.sql`SELECT ${Prisma.raw(selectList(withId(fields)))} FROM users u WHERE u.id = ${id}::uuid AND u.deleted_at IS NULL LIMIT 1`);
      return rows[0] ? pick(rows[0], fields) : null;
    },
  };
}

function pick(row: Row, fields: RecordField[]): Row {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

function sortValue(row: Row, key: SortKey): string | null {
  const v = row[SORT_FIELD_KEYS[key.field]!];
  return v instanceof Date ? v.toISOString() : (v as string | null);
}

/** Cursors need the id and the sort keys: the page query selects them whatever is asked. */
function withId(fields: RecordField[]): RecordField[] {
  return fields.includes('id') ? fields : ['id', ...fields];
}
