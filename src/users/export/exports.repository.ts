// The only place that talks to the database about exports: the user_exports record a link is
// bound to, and the keyset batches an export streams. Each batch is one index seek on
// (created_at, id) after the last row of the previous one, so the millionth row costs what the
// first does and memory holds one batch.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { UserExport as UserExportRow } from '../../generated/prisma/client.js';
import type { UserFilter } from '../listing/listing.model.js';
import { filterConditions } from '../listing/listing.sql.js';
import { EXPORT_FORMATS, USER_FIELDS, type ExportFormat, type ExportRequest, type UserField } from './export.model.js';
import { LINE_SEPARATOR, lineExpression } from './export.sql.js';

export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** One keyset batch rendered by the database: its lines as one text, ready for the socket. */
export interface RenderedBatch {
  /** The lines joined by the format's separator, and the line break after the last. */
  text: string;
  rows: number;
  /** Where the next batch starts; null when the batch is empty. */
  last: KeysetPosition | null;
}

export class ExportsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(data: Omit<ExportRequest, 'id' | 'createdAt'>): Promise<ExportRequest> {
    const row = await this.prisma.userExport.create({
      data: {
        format: data.format,
        fields: data.fields,
        filter: data.filter as Prisma.InputJsonObject,
        bom: data.bom,
        createdById: data.createdById,
        expiresAt: data.expiresAt,
      },
    });
    return toRequest(row);
  }

  async findById(id: string): Promise<ExportRequest | null> {
    const row = await this.prisma.userExport.findUnique({ where: { id } });
    return row ? toRequest(row) : null;
  }

  /**
   * The next `limit` users after `after` in (createdAt, id) order, rendered as `format` lines
   * of `fields` (see export.sql.ts) and aggregated into a single text value: one row crosses
   * the wire per batch instead of `limit` rows of objects (tests/testkit/export-oracle.ts reads the
   * same rows as objects and renders them in JS: both must give the same bytes).
   */
  async renderedBatch(
    format: ExportFormat,
    filter: UserFilter,
    now: Date,
    fields: readonly UserField[],
    after: KeysetPosition | null,
    limit: number,
    /** When set, the batch is the users up to this position (inclusive): limit is not applied. */
    until: KeysetPosition | null = null,
  ): Promise<RenderedBatch> {
    const where = filterConditions(filter, now);
    if (after) where.push(Prisma.sql`(u.created_at, u.id) > (${after.createdAt}, ${after.id}::uuid)`);
    if (until) where.push(Prisma.sql`(u.created_at, u.id) <= (${until.createdAt}, ${until.id}::uuid)`);
    // A range is not cut at `limit`: a user created meanwhile inside it is not silently dropped.
    const limitSql = until ? Prisma.empty : Prisma.sql`LIMIT ${limit}`;
    // The aggregates' ORDER BY makes the order a guarantee rather than the subquery's habit; the
    // input already arrives in that order, which the sort detects in one pass (a descending
    // ORDER BY to pick the last key would be a real sort: the array's last element is used).
    const query = this.prisma.$queryRaw<{ text: string | null; rows: number; lastCreatedAt: Date | null; lastId: string | null }[]>`
      SELECT string_agg(b.line, ${LINE_SEPARATOR[format]}::text ORDER BY b.created_at, b.id) || ${lineEnd(format)}::text AS "text",
             count(*)::int AS "rows",
             max(b.created_at) AS "lastCreatedAt",
             (array_agg(b.id ORDER BY b.created_at, b.id))[count(*)]::text AS "lastId"
      FROM (
        SELECT ${lineExpression(format, fields, now)} AS line, u.created_at, u.id FROM users u
        WHERE ${Prisma.join(where, ' AND ')}
        ORDER BY u.created_at, u.id
        ${limitSql}
      ) b`;
    // Without a LIMIT the planner may spread one range over parallel workers (a bitmap scan and a
    // Gather Merge): no faster in total, and it takes the cores the service already uses to
    // render the next range at the same time. A range renders on one core.
    const [row] = until ? (await this.prisma.$transaction([this.prisma.$executeRaw`SET LOCAL max_parallel_workers_per_gather = 0`, query]))[1] : await query;
    if (!row?.text || !row.lastCreatedAt || !row.lastId) return { text: '', rows: 0, last: null };
    return { text: row.text, rows: row.rows, last: { createdAt: row.lastCreatedAt, id: row.lastId } };
  }

  /**
   * Where the next batch after `after` ends: the position of the limit-th user, or null when
   * fewer are left. `matching`: count the users the filter selects (an index walk that reads each
   * row). `all`: count every user, deleted or not: a walk of the (created_at, id) index alone,
   * without reading rows, for a filter that keeps almost everybody (a batch then holds a few
   * less than `limit`). Either way the service can start rendering the next batch before this
   * one is done.
   */
  async batchEnd(filter: UserFilter, now: Date, after: KeysetPosition | null, limit: number, walk: 'matching' | 'all'): Promise<KeysetPosition | null> {
    const where = walk === 'matching' ? filterConditions(filter, now) : [];
    if (after) where.push(Prisma.sql`(u.created_at, u.id) > (${after.createdAt}, ${after.id}::uuid)`);
    const [row] = await this.prisma.$queryRaw<{ createdAt: Date; id: string }[]>`
      SELECT u.created_at AS "createdAt", u.id::text AS id FROM users u
      ${where.length ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty}
      ORDER BY u.created_at, u.id
      OFFSET ${limit - 1} LIMIT 1`;
    return row ? { createdAt: row.createdAt, id: row.id } : null;
  }
}

/** JSON separates objects with a comma, so the comma goes before a line, not after. */
function lineEnd(format: ExportFormat): string {
  return format === 'JSON' ? '' : LINE_SEPARATOR[format];
}

function toRequest(row: UserExportRow): ExportRequest {
  return {
    id: row.id,
    format: (EXPORT_FORMATS as readonly string[]).includes(row.format) ? (row.format as ExportFormat) : 'CSV',
    fields: row.fields.filter((f): f is UserField => (USER_FIELDS as readonly string[]).includes(f)),
    filter: reviveFilter(row.filter),
    bom: row.bom,
    createdById: row.createdById,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

/** JSON keeps the filter's time ranges as strings; the SQL needs Dates back. */
function reviveFilter(json: Prisma.JsonValue): UserFilter {
  const filter = { ...(json as Record<string, unknown>) } as UserFilter & Record<string, unknown>;
  for (const key of ['createdAt', 'updatedAt', 'lastLoginAt'] as const) {
    const range = filter[key] as Record<string, unknown> | null | undefined;
    if (!range) continue;
    filter[key] = {
      ...range,
      gte: typeof range.gte === 'string' ? new Date(range.gte) : null,
      lt: typeof range.lt === 'string' ? new Date(range.lt) : null,
    };
  }
  return filter;
}
