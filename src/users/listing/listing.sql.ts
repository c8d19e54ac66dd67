// SQL for the users listing (repository layer: only repositories import this).
// Keyset pagination: every page is "rows after position P in order O", answered by an index
// seek rather than OFFSET, so the last page costs what the first does. Nullable sort columns
// sort NULLS LAST; for a single sort key the query is split into a non-null part (row-value
// comparison, which a (col, id) btree index can seek) and a null part, because an
// `OR col IS NULL` would stop PostgreSQL from seeking.
import { Prisma } from '../../generated/prisma/client.js';
import { containment, jsonPath, parseAttributeConditions, type AttributeCondition } from '../user.attributes.js';
import { columnSql, RECORD_FIELDS, selectList, statusAt, USER_COLUMNS, USER_SELECT, type RecordField } from '../user.columns.js';
import { SORT_KEYS, type PageRequest, type SortDirection, type SortField, type SortKey, type UserFilter } from './listing.model.js';

type Sql = Prisma.Sql;

interface Column {
  sql: Sql;
  nullable: boolean;
  /** The type a cursor's value (text) is cast to before it is compared with the column. */
  cast: string;
}

/** Each sort key's column, from the users column map. */
export const SORT_COLUMNS = Object.fromEntries(
  Object.entries(SORT_KEYS).map(([field, key]) => {
    const { type, nullable } = USER_COLUMNS[key];
    return [field, { sql: columnSql(key), nullable, cast: type }];
  }),
) as Record<SortField, Column>;

/** The searchable text; the trigram index in the migrations is on exactly this expression. */
export const SEARCH_EXPRESSION = Prisma.raw(
  `(u.email || chr(31) || coalesce(u.name, '') || chr(31) || coalesce(u.first_name, '') || chr(31) || coalesce(u.last_name, ''))`,
);

/** WHERE conditions for a filter (always at least one, so callers can join with AND). */
export function filterConditions(filter: UserFilter, now: Date): Sql[] {
  const c: Sql[] = [];
  const deletedAt = columnSql('deletedAt');
  const deleted = filter.deleted ?? 'EXCLUDE';
  if (deleted === 'EXCLUDE') c.push(Prisma.sql`${deletedAt} IS NULL`);
  if (deleted === 'ONLY') c.push(Prisma.sql`${deletedAt} IS NOT NULL`);
  if (filter.search) c.push(Prisma.sql`${SEARCH_EXPRESSION} ILIKE ${`%${escapeLike(filter.search)}%`}`);
  if (filter.email) c.push(Prisma.sql`${columnSql('email')} = ${filter.email}`);
  if (filter.ids) c.push(Prisma.sql`${columnSql('id')} = ANY(${filter.ids}::uuid[])`);
  // Compared as the enum (not role::text): the planner then knows the column's statistics for it.
  if (filter.roles) c.push(Prisma.sql`${columnSql('role')} = ANY(${filter.roles}::"Role"[])`);
  if (filter.isActive != null) c.push(Prisma.sql`${columnSql('isActive')} = ${filter.isActive}`);
  if (filter.isEmailVerified != null) c.push(Prisma.sql`${columnSql('isEmailVerified')} = ${filter.isEmailVerified}`);
  pushRange(c, columnSql('createdAt'), filter.createdAt);
  pushRange(c, columnSql('updatedAt'), filter.updatedAt);
  const lastLoginAt = columnSql('lastLoginAt');
  pushRange(c, lastLoginAt, filter.lastLoginAt);
  if (filter.lastLoginAt?.isNull === true) c.push(Prisma.sql`${lastLoginAt} IS NULL`);
  if (filter.lastLoginAt?.isNull === false) c.push(Prisma.sql`${lastLoginAt} IS NOT NULL`);
  if (filter.status?.length) c.push(statusCondition(filter.status, now));
  if (filter.externalIds) c.push(Prisma.sql`${columnSql('externalId')} = ANY(${filter.externalIds}::text[])`);
  // Already checked by the service (normalizeFilter); nothing is left to report here.
  if (filter.attributes?.length) for (const condition of parseAttributeConditions(filter.attributes, [])) c.push(attributeCondition(condition));
  if (c.length === 0) c.push(Prisma.sql`TRUE`);
  return c;
}

/**
 * One attribute condition, in the operators the GIN index on users.attributes serves: @> for eq
 * and in (a bitmap OR of probes), @? for exists. A numeric range is a jsonpath predicate (@@),
 * which the index cannot narrow: it filters what the other conditions found. The path's keys
 * and the numbers are checked before they are spliced into the jsonpath text, and the whole
 * text is still a bound parameter.
 */
function attributeCondition(condition: AttributeCondition): Sql {
  const attributes = columnSql('attributes');
  switch (condition.op) {
    case 'eq':
      return Prisma.sql`${attributes} @> ${containment(condition.path, condition.value)}::jsonb`;
    case 'in':
      return Prisma.sql`(${Prisma.join(
        condition.values.map((v) => Prisma.sql`${attributes} @> ${containment(condition.path, v)}::jsonb`),
        ' OR ',
      )})`;
    case 'exists':
      return condition.exists
        ? Prisma.sql`${attributes} @? ${jsonPath(condition.path)}::jsonpath`
        : Prisma.sql`NOT coalesce(${attributes} @? ${jsonPath(condition.path)}::jsonpath, false)`;
    case 'range': {
      const path = jsonPath(condition.path);
      const tests = [
        ...(condition.gte !== undefined ? [`${path} >= ${condition.gte}`] : []),
        ...(condition.lt !== undefined ? [`${path} < ${condition.lt}`] : []),
      ];
      // A non-numeric value makes the comparison unknown: @@ gives null, the row does not match.
      return Prisma.sql`coalesce(${attributes} @@ ${tests.join(' && ')}::jsonpath, false)`;
    }
  }
}

/** The derived status at `now` (a parameter), as the listing filters on it. */
export function statusExpression(now: Date): Sql {
  return statusAt(Prisma.sql`${now}`);
}

function statusCondition(statuses: string[], now: Date): Sql {
  return Prisma.sql`(${statusExpression(now)}) = ANY(${statuses}::text[])`;
}

function pushRange(c: Sql[], column: Sql, range: { gte?: Date | null; lt?: Date | null } | null | undefined): void {
  if (range?.gte) c.push(Prisma.sql`${column} >= ${range.gte}`);
  if (range?.lt) c.push(Prisma.sql`${column} < ${range.lt}`);
}

export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

const flip = (d: SortDirection): SortDirection => (d === 'ASC' ? 'DESC' : 'ASC');

/** The order of travel: the requested one, or its exact reverse when paging backward. */
function travelOrder(order: SortKey[], backward: boolean): { keys: SortKey[]; idDirection: SortDirection; nullsLast: boolean } {
  const keys = backward ? order.map((k) => ({ field: k.field, direction: flip(k.direction) })) : order;
  const last = keys[keys.length - 1];
  return { keys, idDirection: last?.direction ?? 'ASC', nullsLast: !backward };
}

function orderBy(keys: SortKey[], idDirection: SortDirection, nullsLast: boolean): Sql {
  // NOT NULL columns get no NULLS clause: PostgreSQL does not infer that "DESC NULLS LAST" on a
  // column without nulls matches a plain DESC index, and would sort the whole table instead.
  const nulls = (k: SortKey) => (SORT_COLUMNS[k.field].nullable ? (nullsLast ? ' NULLS LAST' : ' NULLS FIRST') : '');
  const parts = keys.map((k) => Prisma.sql`${SORT_COLUMNS[k.field].sql} ${Prisma.raw(k.direction + nulls(k))}`);
  parts.push(Prisma.sql`u.id ${Prisma.raw(idDirection)}`);
  return Prisma.join(parts, ', ');
}

function value(field: SortField, v: string): Sql {
  return Prisma.sql`${v}::${Prisma.raw(SORT_COLUMNS[field].cast)}`;
}

/** `row comes strictly after position` for the general multi-key case (correct, not always seekable). */
function afterPredicate(keys: SortKey[], values: (string | null)[], id: string, idDirection: SortDirection, nullsLast: boolean): Sql {
  const idOp = Prisma.raw(idDirection === 'ASC' ? '>' : '<');
  let acc: Sql = Prisma.sql`u.id ${idOp} ${id}::uuid`;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    const col = SORT_COLUMNS[key.field];
    const v = values[i] ?? null;
    const op = Prisma.raw(key.direction === 'ASC' ? '>' : '<');
    let strictly: Sql;
    let equal: Sql;
    if (v === null) {
      // Nulls are one block at the end (or start): after a null come only later nulls / nothing.
      strictly = nullsLast ? Prisma.sql`FALSE` : Prisma.sql`${col.sql} IS NOT NULL`;
      equal = Prisma.sql`${col.sql} IS NULL`;
    } else {
      const cmp = Prisma.sql`${col.sql} ${op} ${value(key.field, v)}`;
      strictly = col.nullable && nullsLast ? Prisma.sql`(${cmp} OR ${col.sql} IS NULL)` : cmp;
      equal = Prisma.sql`${col.sql} = ${value(key.field, v)}`;
    }
    acc = Prisma.sql`(${strictly} OR (${equal} AND ${acc}))`;
  }
  return acc;
}

/**
 * The page query. Returns limit+1 rows in travel order so the caller can tell whether
 * another page exists.
 */
export interface PageQueryOptions {
  /**
   * Collect every matching row first, then sort (instead of walking the sort index and
   * filtering). The planner assumes filter matches are spread evenly along the sort order; for
   * a time-range filter on another, correlated column (updatedAt of two years ago, sorted by
   * newest createdAt) they all sit far down the index and the walk reads most of the table.
   * Chosen by the repository when the planner estimates few matches (see needsEstimate).
   */
  sortMatches?: boolean;
  extraColumns?: Sql;
  /**
   * Only these record fields (plus the id and the sort keys, which cursors need): a client that
   * asks for 4 fields does not pay for reading and parsing all 21. Default: the whole record.
   */
  fields?: readonly RecordField[] | undefined;
}

/** The fields a page reads: `fields` plus the id and the sort keys, in the column map's order. */
export function pageFields(fields: readonly RecordField[], order: SortKey[]): RecordField[] {
  const wanted = new Set<RecordField>([...fields, 'id', ...order.map((k) => SORT_KEYS[k.field])]);
  return RECORD_FIELDS.filter((f) => wanted.has(f));
}

export function pageQuery(req: PageRequest, now: Date, options: PageQueryOptions = {}): Sql {
  const { keys, idDirection, nullsLast } = travelOrder(req.order, req.backward);
  const where = filterConditions(req.filter, now);
  const fetch = req.limit + 1;
  const columns = options.fields ? Prisma.raw(selectList(pageFields(options.fields, req.order))) : USER_SELECT;
  const select = Prisma.sql`SELECT ${columns}${options.extraColumns ?? Prisma.empty} FROM users u`;
  const only = keys.length === 1 ? keys[0]! : undefined;

  if (options.sortMatches) {
    if (req.from) where.push(afterPredicate(keys, req.from.values, req.from.id, idDirection, nullsLast));
    const outerOrder = Prisma.join(
      [
        ...keys.map((k) => {
          const nulls = SORT_COLUMNS[k.field].nullable ? (nullsLast ? ' NULLS LAST' : ' NULLS FIRST') : '';
          return Prisma.raw(`m."${SORT_KEYS[k.field]}" ${k.direction}${nulls}`);
        }),
        Prisma.raw(`m.id::uuid ${idDirection}`),
      ],
      ', ',
    );
    return Prisma.sql`WITH m AS MATERIALIZED (${select} WHERE ${Prisma.join(where, ' AND ')}) SELECT * FROM m ORDER BY ${outerOrder} LIMIT ${fetch}`;
  }
  if (only && SORT_COLUMNS[only.field].nullable) {
    return splitNullableQuery(req, only, select, where, fetch, nullsLast);
  }
  if (only) {
    // Single non-null key: one row-value comparison, seekable on the (col, id) index.
    const col = SORT_COLUMNS[only.field];
    if (req.from) {
      const op = Prisma.raw(only.direction === 'ASC' ? '>' : '<');
      where.push(Prisma.sql`(${col.sql}, u.id) ${op} (${value(only.field, req.from.values[0] ?? '')}, ${req.from.id}::uuid)`);
    }
  } else if (req.from) {
    where.push(afterPredicate(keys, req.from.values, req.from.id, idDirection, nullsLast));
  }
  return Prisma.sql`${select} WHERE ${Prisma.join(where, ' AND ')} ORDER BY ${orderBy(keys, idDirection, nullsLast)} LIMIT ${fetch}`;
}

function splitNullableQuery(req: PageRequest, key: SortKey, select: Sql, where: Sql[], fetch: number, nullsLast: boolean): Sql {
  const col = SORT_COLUMNS[key.field];
  const dir = Prisma.raw(key.direction);
  const op = Prisma.raw(key.direction === 'ASC' ? '>' : '<');
  const from = req.from;
  const fromValue = from?.values[0] ?? null;
  const base = Prisma.join(where, ' AND ');

  // Non-null part: absent when the position is in the null block and nulls come last
  // (nothing non-null follows it).
  let nonNull: Sql | undefined;
  if (!from) nonNull = Prisma.sql`${col.sql} IS NOT NULL`;
  else if (fromValue !== null) nonNull = Prisma.sql`(${col.sql}, u.id) ${op} (${value(key.field, fromValue)}, ${from.id}::uuid)`;
  else if (!nullsLast) nonNull = Prisma.sql`${col.sql} IS NOT NULL`;

  let nullPart: Sql | undefined;
  if (!from || (fromValue !== null && nullsLast)) nullPart = Prisma.sql`${col.sql} IS NULL`;
  else if (fromValue === null) nullPart = Prisma.sql`${col.sql} IS NULL AND u.id ${op} ${from.id}::uuid`;

  const parts: Sql[] = [];
  if (nonNull) {
    parts.push(
      Prisma.sql`(SELECT q.*, ${Prisma.raw(nullsLast ? '0' : '1')} AS _part FROM (${select} WHERE ${base} AND ${nonNull} ORDER BY ${col.sql} ${dir}, u.id ${dir} LIMIT ${fetch}) q)`,
    );
  }
  if (nullPart) {
    parts.push(
      Prisma.sql`(SELECT q.*, ${Prisma.raw(nullsLast ? '1' : '0')} AS _part FROM (${select} WHERE ${base} AND ${nullPart} ORDER BY u.id ${dir} LIMIT ${fetch}) q)`,
    );
  }
  const alias = Prisma.raw(`"${SORT_KEYS[key.field]}"`);
  return Prisma.sql`SELECT * FROM (${Prisma.join(parts, ' UNION ALL ')}) t ORDER BY _part, ${alias} ${dir}, id::uuid ${dir} LIMIT ${fetch}`;
}

export function countQuery(filter: UserFilter, now: Date): Sql {
  return Prisma.sql`SELECT count(*)::int AS n FROM users u WHERE ${Prisma.join(filterConditions(filter, now), ' AND ')}`;
}

/**
 * Whether a page request is worth a row estimate before choosing its plan: it filters on a time
 * range of a column other than the leading sort key (the case the planner gets wrong).
 */
export function needsEstimate(req: PageRequest): boolean {
  const lead = req.order[0]?.field;
  const f = req.filter;
  const ranged = (r: { gte?: Date | null; lt?: Date | null } | null | undefined) => !!(r?.gte || r?.lt);
  return (
    (ranged(f.createdAt) && lead !== 'CREATED_AT') ||
    (ranged(f.updatedAt) && lead !== 'UPDATED_AT') ||
    (ranged(f.lastLoginAt) && lead !== 'LAST_LOGIN_AT')
  );
}

/** The planner's row estimate for a filter (EXPLAIN only: nothing is read). */
export function estimateQuery(filter: UserFilter, now: Date): Sql {
  return Prisma.sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM users u WHERE ${Prisma.join(filterConditions(filter, now), ' AND ')}`;
}

/** Below this many estimated matches, sorting them all beats walking a sort index. */
export const SORT_MATCHES_BELOW = 20_000;
