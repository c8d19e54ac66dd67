// The rules for exports: who may export what, the signed link, and the stream of a file. The
// GraphQL resolver asks for a link; the download route and the operator CLI stream through the
// same `chunks()`, so a file looks the same whichever way it was made.
import { assertCan, assertCanFilterDeleted } from '../../auth/policy.js';
import type { Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError } from '../../errors.js';
import type { UserFilter } from '../listing/listing.model.js';
import { normalizeFilter } from '../listing/listing.service.js';
import { isUuid } from '../user.validation.js';
import { ExportLinkInvalidError } from './export.error.js';
import { fileFrame } from './export.format.js';
import type { ExportLinkSigner } from './export.link.js';
import {
  EXPORT_FORMATS,
  EXPORT_LINK_TTL_SECONDS,
  USER_FIELDS,
  type ExportFormat,
  type ExportLink,
  type ExportRequest,
  type KeysetPosition,
  type UserField,
} from './export.model.js';
import type { ExportsRepository, RenderedBatch } from './export.repository.js';

export interface ExportArgs {
  format: ExportFormat;
  filter?: UserFilter | null;
  fields?: UserField[] | null;
  /** CSV only: start the file with a UTF-8 byte order mark (Excel needs it to read accents). */
  bom?: boolean | null;
}

/** A piece of an export file, and how many rows it completed. */
export interface ExportPiece {
  data: string | Buffer;
  rows: number;
}

export class ExportService {
  constructor(
    private readonly repository: ExportsRepository,
    private readonly signer: ExportLinkSigner,
    private readonly clock: Clock,
    /**
     * Where download links point, given the origin the request came to (when there was an HTTP
     * request): PUBLIC_URL, else that origin, else this server's own address.
     */
    private readonly baseUrl: (requestOrigin: string | undefined) => string,
    /**
     * How batches are read, when the repository cannot stream one COPY (the embedded database,
     * or a service built without it). Rendering is a database backend's work, and one backend is
     * one core: with 2 `renderers`, two batches render side by side on PostgreSQL. The embedded
     * database has one connection (so 1), and keeps its memory (WASM, which never shrinks) lower
     * with smaller batches. config.tuning.export (defaultTuning in src/config.ts).
     */
    private readonly reading: { renderers: number; batchRows: number },
  ) {}

  /** Records what to export and returns a short-lived link that streams exactly that. */
  async createLink(principal: Principal, args: ExportArgs, requestOrigin?: string): Promise<ExportLink> {
    const request = await this.create(principal, args);
    const token = await this.signer.sign(request.id, request.expiresAt);
    return { url: `${this.baseUrl(requestOrigin).replace(/\/+$/, '')}/exports/${token}`, expiresAt: request.expiresAt, format: request.format, fields: request.fields, bom: request.bom };
  }

  /**
   * The link of a subject access export (exportUserData): the same signed, short-lived link as
   * exportUsers, bound to one user. The caller (SubjectAccessService) has checked permission and user.
   */
  async subjectAccessLink(principal: Principal, userId: string, requestOrigin?: string): Promise<ExportLink> {
    const expiresAt = new Date(this.clock.now().getTime() + EXPORT_LINK_TTL_SECONDS * 1000);
    const request = await this.repository.createSubjectAccess(userId, principal.userId, expiresAt);
    const token = await this.signer.sign(request.id, request.expiresAt);
    return { url: `${this.baseUrl(requestOrigin).replace(/\/+$/, '')}/exports/${token}`, expiresAt, format: 'JSON', fields: [], bom: false };
  }

  async create(principal: Principal, args: ExportArgs): Promise<ExportRequest> {
    assertCan(principal, 'exports.run');
    if (!EXPORT_FORMATS.includes(args.format)) throw BadUserInputError.field('format', `must be one of ${EXPORT_FORMATS.join(', ')}`);
    const filter = normalizeFilter(args.filter ?? {});
    assertCanFilterDeleted(principal, filter.deleted);
    const fields = args.fields?.length ? [...new Set(args.fields)] : [...USER_FIELDS];
    const unknown = fields.findIndex((f) => !USER_FIELDS.includes(f));
    if (unknown >= 0) throw BadUserInputError.field(`fields.${unknown}`, 'is not an exportable field');
    const bom = args.bom ?? false;
    // RFC 8259: JSON texts must not begin with a byte order mark (and NDJSON lines are JSON).
    if (bom && args.format !== 'CSV') throw BadUserInputError.field('bom', 'applies to CSV only: JSON must not start with a byte order mark');
    const now = this.clock.now();
    return this.repository.create({
      format: args.format,
      fields,
      filter,
      bom,
      createdById: principal.userId,
      expiresAt: new Date(now.getTime() + EXPORT_LINK_TTL_SECONDS * 1000),
    });
  }

  /** The export a link is bound to: EXPORT_LINK_EXPIRED / EXPORT_LINK_INVALID otherwise. */
  async open(token: string): Promise<ExportRequest> {
    const id = await this.signer.verify(token);
    const request = isUuid(id) ? await this.repository.findById(id) : null;
    if (!request) throw new ExportLinkInvalidError();
    return request;
  }

  /**
   * The file, piece by piece: the head, the lines (with the rows each piece completed), the
   * tail. On PostgreSQL the lines are one COPY streamed as the database renders them; elsewhere
   * one piece per keyset batch. Stops when `signal` aborts (the client went away). `batchRows` is
   * there for tests, to cross batch boundaries with a handful of rows.
   */
  async *chunks(request: ExportRequest, signal?: AbortSignal, batchRows = this.reading.batchRows): AsyncGenerator<ExportPiece> {
    // The database renders the rows (export.sql.ts); the file's head and tail are written here.
    const format = fileFrame(request.format, request.fields);
    const head = (request.bom ? '\uFEFF' : '') + format.head;
    if (head) yield { data: head, rows: 0 };
    if (this.repository.streamsCopy) yield* this.copied(request, signal);
    else yield* this.batched(request, signal, batchRows);
    if (format.tail && !signal?.aborted) yield { data: format.tail, rows: 0 };
  }

  /**
   * The whole export as one COPY (ExportsRepository.copyLines): one statement, so one snapshot,
   * and no batch to aggregate. Its pieces are parts of one run of lines: only the first has a
   * separator before it.
   */
  private async *copied(request: ExportRequest, signal: AbortSignal | undefined): AsyncGenerator<ExportPiece> {
    let first = true;
    for await (const piece of this.repository.copyLines(request.format, request.filter, request.createdAt, request.fields, signal)) {
      if (signal?.aborted) break; // the client went away
      const separator = first ? lineSeparator(request.format, true) : '';
      if (separator) yield { data: separator, rows: 0 };
      yield { data: piece.bytes, rows: piece.rows };
      first = false;
    }
  }

  /** The lines batch by batch, each batch a run of lines of its own (see lineSeparator). */
  private async *batched(request: ExportRequest, signal: AbortSignal | undefined, batchRows: number): AsyncGenerator<ExportPiece> {
    const batches = this.reading.renderers > 1 ? this.rangeBatches(request, batchRows) : this.keysetBatches(request, batchRows);
    let first = true;
    for await (const batch of batches) {
      if (signal?.aborted) break; // the client went away: stop between batches
      const separator = lineSeparator(request.format, first);
      if (separator) yield { data: separator, rows: 0 };
      yield { data: batch.text, rows: batch.rows };
      first = false;
    }
  }

  private render(request: ExportRequest, after: KeysetPosition | null, batchRows: number, until: KeysetPosition | null = null): Promise<RenderedBatch> {
    // The derived status is evaluated at the moment the export was asked for.
    const keyOrder = keepsAlmostEverybody(request.filter);
    return this.repository.renderedBatch(request.format, request.filter, request.createdAt, request.fields, after, batchRows, until, keyOrder);
  }

  /**
   * One batch rendering while the previous one goes out: each batch starts after the last key
   * of the one before. Memory holds at most two rendered batches (a megabyte or two each).
   */
  private async *keysetBatches(request: ExportRequest, batchRows: number): AsyncGenerator<RenderedBatch> {
    let pending: Promise<RenderedBatch> | undefined = this.render(request, null, batchRows);
    try {
      while (pending) {
        const batch: RenderedBatch = await pending;
        pending = undefined;
        if (batch.rows === 0) break;
        if (batch.rows === batchRows && batch.last) pending = this.render(request, batch.last, batchRows);
        yield batch;
      }
    } finally {
      pending?.catch(() => undefined); // stopped early: nobody will read that batch
    }
  }

  /**
   * `renderers` batches rendering at once, each a key range: a cheap index walk (batchEnd) finds
   * where a batch ends, so the next one can start before this one is rendered. Batches are
   * yielded in order; memory holds at most renderers + 1 rendered batches.
   */
  private async *rangeBatches(request: ExportRequest, batchRows: number): AsyncGenerator<RenderedBatch> {
    const queue: Promise<RenderedBatch>[] = [];
    let start: KeysetPosition | null = null;
    let more = true;
    const walk = keepsAlmostEverybody(request.filter) ? 'all' : 'matching';
    try {
      for (;;) {
        while (more && queue.length < this.reading.renderers) {
          const end = await this.repository.batchEnd(request.filter, request.createdAt, start, batchRows, walk);
          // No end: fewer than batchRows users are left, the last batch takes them all.
          const batch = this.render(request, start, batchRows, end);
          batch.catch(() => undefined); // surfaces when its turn comes
          queue.push(batch);
          more = end !== null;
          start = end;
        }
        const next = queue.shift();
        if (!next) break;
        const batch = await next;
        if (batch.rows > 0) yield batch;
      }
    } finally {
      for (const pending of queue) pending.catch(() => undefined);
    }
  }

  fileName(request: ExportRequest): string {
    const stamp = request.createdAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
    return `users-${stamp}.${request.format.toLowerCase()}`;
  }
}

/**
 * A filter with no condition but the soft-delete mode (a plain "export everybody", deleted
 * excluded or not): batch ends can then be found from the index alone (see batchEnd). ONLY
 * deleted keeps few users, so it walks the matching ones.
 */
function keepsAlmostEverybody(filter: UserFilter): boolean {
  return Object.entries(filter).every(([key, value]) => (key === 'deleted' ? value !== 'ONLY' : value == null || (Array.isArray(value) && value.length === 0)));
}

/**
 * What precedes a batch's first line: in JSON the line break after "[", or the comma after the
 * previous batch. Written here rather than by the database, since only the stream knows which
 * batch turned out to be the first one with rows.
 */
function lineSeparator(format: ExportFormat, first: boolean): string {
  if (format !== 'JSON') return '';
  return first ? '\n' : ',\n';
}
