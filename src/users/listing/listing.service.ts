// Turns connection arguments into a keyset page request and the rows back into a Relay page.
import { BadUserInputError, type FieldProblem } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { RecordField } from '../user.columns.js';
import type { UserRecord } from '../user.model.js';
import type { UsersRepository } from '../user.repository.js';
import { isUuid, lookupEmailProblem, normalizeEmail } from '../user.validation.js';
import { storableTextProblem } from '../../text.js';
import { parseAttributeConditions } from '../user.attributes.js';
import { decodeCursor, encodeCursor } from './listing.cursor.js';
import {
  DEFAULT_ORDER,
  DEFAULT_PAGE_SIZE,
  MAX_FILTER_IDS,
  MAX_OFFSET_ROWS,
  MAX_PAGE_SIZE,
  SORT_FIELDS,
  SORT_KEYS,
  type PageRequest,
  type Position,
  type SortField,
  type SortKey,
  type UserFilter,
} from './listing.model.js';

export interface ListUsersArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: UserFilter | null;
  orderBy?: SortKey[] | null;
  /**
   * Rows to skip before the page (offset paging, for REST's `page`), at most MAX_OFFSET_ROWS; not
   * with a cursor. The skipped rows are sought like a page of their own (ids and sort keys
   * only), and the page then starts after the last of them: the same keyset query as a cursor's.
   */
  offset?: number | null;
}

export interface UserPage {
  edges: { cursor: string; node: UserRecord }[];
  /**
   * hasNextPage and hasPreviousPage are lazy: the side we travel towards is known from the page's
   * extra row, but the side we came from takes a second statement, run only when a client
   * selects that field (the pageInfo field resolvers call these).
   */
  pageInfo: { hasNextPage: () => Promise<boolean>; hasPreviousPage: () => Promise<boolean>; startCursor: string | null; endCursor: string | null };
  /** Lazy: only runs its COUNT when a client selects totalCount. */
  totalCount: () => Promise<number>;
}

export class ListingService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly clock: Clock,
  ) {}

  /** With `fields`, the page's records hold only those (and the id and sort keys): see UsersRepository.page. */
  async page(args: ListUsersArgs, fields?: readonly RecordField[]): Promise<UserPage> {
    const order = normalizeOrder(args.orderBy);
    const filter = normalizeFilter(args.filter ?? {});
    const now = this.clock.now();
    const request = await this.skipTo(toPageRequest(args, order, filter), args.offset, now);

    const rows = await this.repository.page(request, now, fields);
    const more = rows.length > request.limit;
    const pageRows = rows.slice(0, request.limit);
    if (request.backward) pageRows.reverse();

    const edges = pageRows.map((node) => ({ cursor: encodeCursor(order, positionOf(node, order)), node }));
    // Is there anything on the side we came from? Seek one row backward from the first row of
    // this page (in travel order): that finds the cursor row itself if it still exists, or any
    // row before it. Only asked when a cursor was given; otherwise we started at the edge.
    const first = rows[0];
    const from = request.from;
    const otherSide = once(async () =>
      from
        ? (await this.repository.page({ ...request, backward: !request.backward, limit: 0, from: first ? positionOf(first, order) : from }, now, PROBE_FIELDS)).length > 0 ||
          (!first && (await this.cursorRowMatches(request, now)))
        : false,
    );
    const moreSide = () => Promise.resolve(more);

    return {
      edges,
      pageInfo: {
        hasNextPage: request.backward ? otherSide : moreSide,
        hasPreviousPage: request.backward ? moreSide : otherSide,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount: () => this.repository.count(filter, now),
    };
  }

  /** The request starting after `offset` rows (past the end: an empty page). */
  private async skipTo(request: PageRequest, offset: number | null | undefined, now: Date): Promise<PageRequest> {
    if (!offset) return request;
    const skipped = await this.repository.page({ ...request, limit: offset - 1 }, now, PROBE_FIELDS);
    const last = skipped[offset - 1];
    if (!last) return { ...request, limit: 0, from: undefined, filter: { ...request.filter, ids: [] } };
    return { ...request, from: positionOf(last, request.order) };
  }

  /** An empty page after a cursor: the cursor row itself may still be there (behind us). */
  private async cursorRowMatches(request: PageRequest, now: Date): Promise<boolean> {
    const id = request.from!.id;
    const rows = await this.repository.page({ ...request, filter: { ...request.filter, ids: [id] }, from: undefined, limit: 0 }, now, PROBE_FIELDS);
    return rows.length > 0;
  }
}

/** A probe only asks whether a row exists: its id is enough. */
const PROBE_FIELDS: readonly RecordField[] = ['id'];

/** `work` run at most once, on the first call. */
function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= work());
}

export function normalizeOrder(orderBy: SortKey[] | null | undefined): SortKey[] {
  if (!orderBy || orderBy.length === 0) return DEFAULT_ORDER;
  const seen = new Set<SortField>();
  for (const [i, key] of orderBy.entries()) {
    if (!SORT_FIELDS.includes(key.field)) throw BadUserInputError.field(`orderBy.${i}.field`, 'is not a sortable field');
    if (seen.has(key.field)) throw BadUserInputError.field(`orderBy.${i}.field`, `${key.field} is listed twice`);
    seen.add(key.field);
  }
  return orderBy.map((k) => ({ field: k.field, direction: k.direction }));
}

export function normalizeFilter(filter: UserFilter): UserFilter {
  const problems: FieldProblem[] = [];
  const out: UserFilter = { ...filter };
  if (filter.search != null) {
    // Other control characters would let a term match across the field separator; drop them.
    const problem = storableTextProblem(filter.search);
    const term = filter.search.replace(/\p{Cc}/gu, '').trim();
    if (problem) problems.push({ field: 'filter.search', message: problem });
    else if (term.length > 100) problems.push({ field: 'filter.search', message: 'must be at most 100 characters' });
    out.search = term === '' ? null : term;
  }
  if (filter.email != null) {
    const problem = lookupEmailProblem(filter.email);
    if (problem) problems.push({ field: 'filter.email', message: problem });
    out.email = normalizeEmail(filter.email);
  }
  if (filter.ids != null) {
    if (filter.ids.length > MAX_FILTER_IDS) problems.push({ field: 'filter.ids', message: `must list at most ${MAX_FILTER_IDS} ids` });
    const bad = filter.ids.findIndex((id) => !isUuid(id));
    if (bad >= 0) problems.push({ field: `filter.ids.${bad}`, message: 'must be a UUID' });
    out.ids = filter.ids.map((id) => id.toLowerCase());
  }
  if (filter.externalIds != null) {
    if (filter.externalIds.length > MAX_FILTER_IDS) problems.push({ field: 'filter.externalIds', message: `must list at most ${MAX_FILTER_IDS} ids` });
    const bad = filter.externalIds.findIndex((id) => storableTextProblem(id) !== undefined);
    if (bad >= 0) problems.push({ field: `filter.externalIds.${bad}`, message: storableTextProblem(filter.externalIds[bad]!)! });
    out.externalIds = filter.externalIds.map((id) => id.trim());
  }
  if (filter.attributes != null) {
    // Plain objects without the absent operators: the filter of an export is stored as JSON.
    out.attributes = filter.attributes.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v != null)) as typeof c);
    parseAttributeConditions(out.attributes, problems);
  }
  for (const name of ['createdAt', 'updatedAt', 'lastLoginAt'] as const) {
    const range = filter[name];
    if (range?.gte && range.lt && range.gte >= range.lt) {
      problems.push({ field: `filter.${name}`, message: 'gte must be before lt' });
    }
  }
  if (problems.length) throw new BadUserInputError(problems);
  return out;
}

function toPageRequest(args: ListUsersArgs, order: SortKey[], filter: UserFilter): PageRequest {
  const problems: FieldProblem[] = [];
  const backward = args.last != null || args.before != null;
  if (backward && (args.first != null || args.after != null)) {
    problems.push({ field: 'first', message: 'use first/after to page forward or last/before to page backward, not both' });
  }
  const size = (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    problems.push({ field: backward ? 'last' : 'first', message: `must be between 1 and ${MAX_PAGE_SIZE}` });
  }
  if (args.offset != null) {
    if (!Number.isInteger(args.offset) || args.offset < 0 || args.offset > MAX_OFFSET_ROWS) {
      problems.push({ field: 'offset', message: `must be between 0 and ${MAX_OFFSET_ROWS}: page deeper with cursors` });
    } else if (backward || args.after != null) {
      problems.push({ field: 'offset', message: 'cannot be combined with a cursor' });
    }
  }
  if (problems.length) throw new BadUserInputError(problems);
  const cursor = backward ? args.before : args.after;
  const from = cursor ? decodeCursor(cursor, order, backward ? 'before' : 'after') : undefined;
  return { filter, order, limit: size, backward, from };
}

function positionOf(user: UserRecord, order: SortKey[]): Position {
  return { values: order.map((k) => sortValue(user, k.field)), id: user.id };
}

function sortValue(user: UserRecord, field: SortField): string | null {
  const value = user[SORT_KEYS[field]];
  return value instanceof Date ? value.toISOString() : value;
}
