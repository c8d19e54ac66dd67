// Rows from raw queries ($queryRaw) are checked here, at the repository boundary, instead of
// being cast to the type the code hopes for: a row of another shape (a renamed column, a bigint
// where a number was expected) fails at once as a RowShapeError naming the query and the field,
// not as a wrong value three modules further on.
//
// Every row is checked, not just the first: zod compiles an object schema into one function on
// first use, so a listing page of 21 users costs ~5 µs and the 5,000 ids a chunk of an import
// returns ~0.2 ms, against milliseconds for the query itself. Export batches arrive as one
// aggregated row, so the hot paths pay almost nothing.
import { z } from 'zod';
import { RowShapeError } from '../errors.js';

/** A parser for the rows of one query (build it once, at module level). */
export function rowsOf<T>(query: string, row: z.ZodType<T>): (rows: unknown) => T[] {
  const schema = z.array(row);
  return (rows) => {
    const parsed = schema.safeParse(rows);
    if (!parsed.success) throw new RowShapeError(query, parsed.error.issues[0]);
    return parsed.data;
  };
}

/** For aggregates: the one row a query always returns. */
export function oneRowOf<T>(query: string, row: z.ZodType<T>): (rows: unknown) => T {
  const parse = rowsOf(query, row);
  return (rows) => {
    const [first] = parse(rows);
    if (first === undefined) throw new RowShapeError(query, { path: [], message: 'expected one row, got none' });
    return first;
  };
}

/** `count(*)::int AS n` */
export const countRow = z.object({ n: z.number().int() });
