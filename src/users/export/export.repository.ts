// The only place that talks to the database about exports: the user_exports record a link is
// bound to, and the keyset batches an export streams. Each batch is one index seek on
// (created_at, id) after the last row of the previous one, so the millionth row costs what the
// first does and memory holds one batch. On PostgreSQL an export is instead one COPY whose
// lines stream to the socket as the database renders them (copyLines).
import type { Readable } from 'node:stream';
import type { Prisma, PrismaClient, UserExport as UserExportRow } from '../../generated/prisma/client.js';
import { z } from 'zod';
import { CopyBinaryLines } from '../../db/copy-binary.js';
import { inlineSql } from '../../db/inline.sql.js';
import { oneRowOf, rowsOf } from '../../db/rows.js';
import type { UserFilter } from '../listing/listing.model.js';
import { EXPORT_FORMATS, SUBJECT_ACCESS_FORMAT, USER_FIELDS, type ExportFormat, type ExportRequest, type KeysetPosition, type UserField } from './export.model.js';
import { batchEndQuery, copyLinesQuery, lineFraming, renderedBatchQuery } from './export.sql.js';

/** `COPY … TO STDOUT` as a byte stream (Database.copyTo: PostgreSQL only). */
export type CopyTo = (statement: string) => Promise<Readable>;

/** Part of an export's lines, as bytes for the socket, and how many lines it completed. */
export interface LinesPiece {
  bytes: Buffer;
  rows: number;
}

// An empty batch aggregates to one row of nulls (and a count of 0).
const batchRow = oneRowOf(
  'export batch',
  z.object({ text: z.string().nullable(), rows: z.number().int(), lastCreatedAt: z.date().nullable(), lastId: z.string().nullable() }),
);
const positionRows = rowsOf('export batch end', z.object({ createdAt: z.date(), id: z.string() }));

/** One keyset batch rendered by the database: its lines as one text, ready for the socket. */
export interface RenderedBatch {
  /** The lines joined by the format's separator, and the line break after the last. */
  text: string;
  rows: number;
  /** Where the next batch starts; null when the batch is empty. */
  last: KeysetPosition | null;
}

export class ExportsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** When given, copyLines streams an export as one COPY. */
    private readonly copyTo?: CopyTo,
  ) {}

  /** Whether copyLines can run (PostgreSQL). */
  get streamsCopy(): boolean {
    return this.copyTo !== undefined;
  }

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

  /** A subject access export of one user (exportUserData): the link is bound to that user only. */
  async createSubjectAccess(userId: string, createdById: string | null, expiresAt: Date): Promise<ExportRequest> {
    const row = await this.prisma.userExport.create({
      data: { format: SUBJECT_ACCESS_FORMAT, fields: [], filter: { ids: [userId], deleted: 'INCLUDE' }, bom: false, createdById, expiresAt },
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
    /**
     * The filter keeps almost everybody (see ExportService): read the batch in the order of the
     * (created_at, id) index, seeking the keyset position exactly. Left to itself the planner
     * takes the smaller partial index on created_at (users_live_stats_idx): it seeks created_at
     * alone, so it reads and discards every earlier row that shares the position's created_at (an
     * import's chunk shares one: ~50% extra rows were read), then sorts by id. With sorting
     * disabled the one plan left reads the full index backwards from the exact (created_at, id).
     */
    keyOrder = false,
  ): Promise<RenderedBatch> {
    const query = this.prisma.$queryRaw(renderedBatchQuery(format, filter, now, fields, after, limit, until));
    // Without a LIMIT the planner may spread one range over parallel workers (a bitmap scan and a
    // Gather Merge): no faster in total, and it takes the cores the service already uses to
    // render the next range at the same time. A range renders on one core. (The aggregates also
    // rely on reading their input in order: export.sql.ts.)
    const settings = [
      ...(until ? [this.prisma.$executeRaw`SET LOCAL max_parallel_workers_per_gather = 0`] : []),
      ...(keyOrder ? [this.prisma.$executeRaw`SET LOCAL enable_sort = off`, this.prisma.$executeRaw`SET LOCAL enable_incremental_sort = off`] : []),
    ];
    const rows = settings.length ? (await this.prisma.$transaction([...settings, query])).at(-1) : await query;
    const row = batchRow(rows);
    if (!row.text || !row.lastCreatedAt || !row.lastId) return { text: '', rows: 0, last: null };
    return { text: row.text, rows: row.rows, last: { createdAt: row.lastCreatedAt, id: row.lastId } };
  }

  /**
   * Every user the filter selects, rendered as `format` lines of `fields` (the batches' line
   * expression), through one `COPY (…) TO STDOUT WITH (FORMAT binary)`: the lines come out framed
   * as a batch frames them (export.sql.ts lineFraming), piece by piece as the socket delivers
   * them. Binary, because it carries each line's bytes as they are, where COPY's text and CSV
   * formats would escape backslashes, tabs and line breaks inside them; the framing is stripped
   * here (db/copy-binary.ts). Reading slowly slows the COPY down (back-pressure through the
   * socket). Stopping early (`signal` aborts, or the reader stops) destroys the stream, which
   * closes its connection and so ends the statement on the server.
   *
   * The plan is left to the planner, unlike a batch's (renderedBatch's keyOrder): for a whole
   * export it sorts in parallel workers that also render the lines, and a Gather Merge keeps the
   * order. Forcing the (created_at, id) index instead renders on one core: measured 1.3–1.7× slower
   * on 300k users.
   */
  async *copyLines(format: ExportFormat, filter: UserFilter, now: Date, fields: readonly UserField[], signal?: AbortSignal): AsyncGenerator<LinesPiece> {
    if (!this.copyTo) throw new Error('copyLines needs PostgreSQL (Database.copyTo)');
    const statement = `COPY (${inlineSql(copyLinesQuery(format, filter, now, fields))}) TO STDOUT WITH (FORMAT binary)`;
    const stream = await this.copyTo(statement);
    const framing = lineFraming(format);
    const lines = new CopyBinaryLines(Buffer.from(framing.between), Buffer.from(framing.after));
    const abort = () => stream.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      if (signal?.aborted) return;
      for await (const chunk of stream) {
        const piece = lines.push(chunk as Buffer);
        if (piece.bytes.length) yield piece;
      }
      lines.end();
    } finally {
      signal?.removeEventListener('abort', abort);
      // After a complete COPY this changes nothing; before, it closes the connection.
      stream.destroy();
    }
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
    const [row] = positionRows(await this.prisma.$queryRaw(batchEndQuery(filter, now, after, limit, walk)));
    return row ? { createdAt: row.createdAt, id: row.id } : null;
  }
}

function toRequest(row: UserExportRow): ExportRequest {
  if (row.format === SUBJECT_ACCESS_FORMAT) {
    const userId = reviveFilter(row.filter).ids?.[0];
    if (userId) return { id: row.id, format: 'JSON', fields: [], filter: reviveFilter(row.filter), bom: false, createdById: row.createdById, createdAt: row.createdAt, expiresAt: row.expiresAt, subjectAccessUserId: userId };
  }
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
