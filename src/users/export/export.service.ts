// The rules for exports: who may export what, the signed link, and the stream of a file. The
// GraphQL resolver asks for a link; the download route and the operator CLI stream through the
// same `chunks()`, so a file looks the same whichever way it was made.
import { requireRole } from '../../auth/guards.js';
import type { Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError, ForbiddenError } from '../../errors.js';
import type { UserFilter } from '../listing/listing.model.js';
import { normalizeFilter } from '../listing/listing.service.js';
import { isUuid } from '../users.validation.js';
import { ExportLinkInvalidError } from './export.errors.js';
import { serializer } from './export.format.js';
import type { ExportLinkSigner } from './export.links.js';
import {
  EXPORT_BATCH_ROWS,
  EXPORT_FORMATS,
  EXPORT_LINK_TTL_SECONDS,
  USER_FIELDS,
  type ExportFormat,
  type ExportLink,
  type ExportRequest,
  type UserField,
} from './export.model.js';
import type { ExportsRepository, KeysetPosition, RenderedBatch } from './exports.repository.js';

const READERS = ['ADMIN', 'VIEWER'] as const;

export interface ExportArgs {
  format: ExportFormat;
  filter?: UserFilter | null;
  fields?: UserField[] | null;
}

export class ExportService {
  constructor(
    private readonly repository: ExportsRepository,
    private readonly signer: ExportLinkSigner,
    private readonly clock: Clock,
    /** Where download links point: PUBLIC_URL, or this server's own address. */
    private readonly baseUrl: () => string,
  ) {}

  /** Records what to export and returns a short-lived link that streams exactly that. */
  async createLink(principal: Principal, args: ExportArgs): Promise<ExportLink> {
    const request = await this.create(principal, args);
    const token = await this.signer.sign(request.id, request.expiresAt);
    return { url: `${this.baseUrl().replace(/\/+$/, '')}/exports/${token}`, expiresAt: request.expiresAt, format: request.format, fields: request.fields };
  }

  async create(principal: Principal, args: ExportArgs): Promise<ExportRequest> {
    requireRole(principal, READERS);
    if (!EXPORT_FORMATS.includes(args.format)) throw BadUserInputError.field('format', `must be one of ${EXPORT_FORMATS.join(', ')}`);
    const filter = normalizeFilter(args.filter ?? {});
    if ((filter.deleted ?? 'EXCLUDE') !== 'EXCLUDE' && !principal.roles.includes('ADMIN')) {
      throw new ForbiddenError('filter.deleted INCLUDE and ONLY require role ADMIN');
    }
    const fields = args.fields?.length ? [...new Set(args.fields)] : [...USER_FIELDS];
    const unknown = fields.findIndex((f) => !USER_FIELDS.includes(f));
    if (unknown >= 0) throw BadUserInputError.field(`fields.${unknown}`, 'is not an exportable field');
    const now = this.clock.now();
    return this.repository.create({
      format: args.format,
      fields,
      filter,
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
   * The file, piece by piece: the head, one piece per keyset batch (with its row count), the
   * tail. Stops between batches when `signal` aborts (the client went away). `batchRows` is
   * there for tests, to cross batch boundaries with a handful of rows.
   */
  async *chunks(request: ExportRequest, signal?: AbortSignal, batchRows = EXPORT_BATCH_ROWS): AsyncGenerator<{ text: string; rows: number }> {
    // The JS serializer only writes the head and tail; the database renders the rows (export.sql.ts).
    const format = serializer(request.format, request.fields);
    // The derived status is evaluated at the moment the export was asked for.
    const fetch = (after: KeysetPosition | null) =>
      this.repository.renderedBatch(request.format, request.filter, request.createdAt, request.fields, after, batchRows, firstLinePrefix(request.format, after === null));
    if (format.head) yield { text: format.head, rows: 0 };
    let pending: Promise<RenderedBatch> | undefined = fetch(null);
    try {
      while (pending && !signal?.aborted) {
        const batch: RenderedBatch = await pending;
        pending = undefined;
        if (batch.rows === 0) break;
        // The database renders the next batch while this one goes out: on PostgreSQL that work
        // is another process's, so it overlaps with the socket instead of waiting for it. Memory
        // holds at most two rendered batches (a megabyte or two each).
        if (batch.rows === batchRows && batch.last) pending = fetch(batch.last);
        yield { text: batch.text, rows: batch.rows };
      }
    } finally {
      // Stopped early (client gone, consumer returned): nobody will read that batch.
      pending?.catch(() => undefined);
    }
    if (format.tail && !signal?.aborted) yield { text: format.tail, rows: 0 };
  }

  fileName(request: ExportRequest): string {
    const stamp = request.createdAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
    return `users-${stamp}.${request.format.toLowerCase()}`;
  }
}

/** What precedes a batch's first line: in JSON the line break after "[", or the comma after the previous batch. */
function firstLinePrefix(format: ExportFormat, first: boolean): string {
  if (format !== 'JSON') return '';
  return first ? '\n' : ',\n';
}
