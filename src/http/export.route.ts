// GET /exports/:token — the download behind an export link. No bearer token: the signed link
// is the credential, bound to one recorded export. Rows stream straight from the database to
// the socket with back-pressure, so memory stays at a few socket chunks (one COPY on PostgreSQL)
// or one batch (embedded) whatever the size.
import { once } from 'node:events';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ExportService } from '../users/export/export.service.js';
import type { SubjectAccessService } from '../users/subject-access/subject-access.service.js';
import { CONTENT_TYPES, type ExportRequest } from '../users/export/export.model.js';

export function exportDownload(exports: ExportService, subjectAccess: SubjectAccessService, log: Logger, metrics: Metrics): RequestHandler {
  return async (req: Request, res: Response) => {
    // A refused link (or the database away) is answered by the server's error handler, as JSON
    // with a code like every other error; it must not be cached either.
    res.set('cache-control', 'no-store');
    const request: ExportRequest = await exports.open(String(req.params.token ?? ''));
    if (request.subjectAccessUserId) {
      // One user's document: small, so built whole before anything is sent.
      const document = await subjectAccess.document(request.subjectAccessUserId);
      res.status(200).set({
        'content-type': CONTENT_TYPES.JSON,
        'content-disposition': `attachment; filename="user-${request.subjectAccessUserId}.json"`,
        'x-content-type-options': 'nosniff',
      });
      res.end(document);
      log.info({ exportId: request.id, subjectAccess: true }, 'subject access export downloaded');
      return;
    }
    await streamExport(res, exports, request, log, metrics);
  };
}

/**
 * Streams one recorded export as the answer, with back-pressure: the export links (above) and
 * REST's GET /api/users/export (a bearer-token caller gets the file directly) both send it here.
 */
export async function streamExport(res: Response, exports: ExportService, request: ExportRequest, log: Logger, metrics: Metrics): Promise<void> {
  res.status(200).set({
    'content-type': CONTENT_TYPES[request.format],
    'content-disposition': `attachment; filename="${exports.fileName(request)}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const started = Date.now();
  let rows = 0;
  try {
    for await (const piece of exports.chunks(request, gone.signal)) {
      rows += piece.rows;
      metrics.exportRowsStreamed.inc(piece.rows);
      if (!res.write(piece.data)) await once(res, 'drain', { signal: gone.signal });
    }
    res.end();
    log.info({ exportId: request.id, format: request.format, rows, ms: Date.now() - started }, 'export downloaded');
  } catch (error) {
    if (gone.signal.aborted) {
      log.info({ exportId: request.id }, 'export download stopped by the client');
      return;
    }
    // Headers are out: the only honest signal left is a truncated (reset) response.
    log.error({ err: error, exportId: request.id }, 'export failed while streaming');
    res.destroy(error as Error);
  }
}
