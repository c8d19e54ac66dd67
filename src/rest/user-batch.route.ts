// /api/users routes that act on many users: stats, export, import and the bulk actions. Registered
// before /api/users/:id (rest.router.ts), so `stats` and `export` are never taken for an id.
import type { Metrics } from '../metrics.js';
import { streamExport } from '../http/export.route.js';
import { HEAVY_POINTS } from '../http/rate.limit.js';
import { CONTENT_TYPES } from '../users/export/export.model.js';
import { multipartFile } from './multipart.file.js';
import { route, type RestKit } from './rest.operation.js';
import { filterOf } from './user.route.js';
import { encodeImport, encodeStats } from './user.encode.js';
import { bulkBody, bulkResultSchema, exportQuery, importBody, importQuery, importResultSchema, statsQuery, statsSchema } from './user.schema.js';

const TAG = 'users';
/** Row errors an import answer carries (the first, in file order); GraphQL's `errors(first:)` default too. */
const IMPORT_ERRORS_SHOWN = 100;

export function userBatchRoutes(kit: RestKit, options: { uploadMaxBytes: number; metrics: Metrics }): void {
  const { services, log } = kit;
  route(kit, {
    method: 'get',
    path: '/api/users/stats',
    operationId: 'userStats',
    summary: 'Statistics',
    description: 'Totals now, and what happened in the range (default: the last 30 days; days are UTC).',
    tag: TAG,
    permission: 'stats.read',
    query: statsQuery,
    responses: { 200: { description: 'The statistics.', schema: statsSchema } },
    errors: [],
  }, async ({ query, principal, res }) => {
      const data = await services.stats.userStats(principal, { from: query.from ?? null, to: query.to ?? null });
      res.set('cache-control', 'no-store').json(encodeStats(data));
    });

  route(kit, {
    method: 'get',
    path: '/api/users/export',
    operationId: 'exportUsers',
    summary: 'Export users (streamed)',
    description: 'The file itself, streamed as it is read (constant memory), with the listing\'s filters. Recorded like GraphQL\'s exportUsers.',
    tag: TAG,
    permission: 'exports.run',
    query: exportQuery,
    responses: { 200: { description: 'The file (Content-Disposition: attachment).', files: Object.values(CONTENT_TYPES).map((t) => t.split(';')[0]!) } },
    errors: [],
    points: HEAVY_POINTS,
    renameField: (f) => f.replace(/^filter\.createdAt.*/, 'createdFrom').replace(/^filter\.roles.*/, 'role').replace(/^filter\.(\w+).*/, '$1'),
  }, async ({ query, principal, res }) => {
      const request = await services.exports.create(principal, {
        format: query.format,
        filter: filterOf(query),
        fields: query.fields ?? null,
        bom: query.bom ?? null,
      });
      await streamExport(res, services.exports, request, log, options.metrics);
    });

  route(kit, {
    method: 'post',
    path: '/api/users/import',
    operationId: 'importUsers',
    summary: 'Import users from a CSV file',
    description:
      'multipart/form-data with the file in the field `file`; the request needs a Content-Length within UPLOAD_MAX_BYTES (413 UPLOAD_TOO_LARGE otherwise, nothing written). Answers when the import has ended; bad rows are data (`errors`), named by row number (the header is row 1).',
    tag: TAG,
    permission: 'imports.run',
    query: importQuery,
    body: importBody,
    multipart: true,
    responses: { 200: { description: 'The import, ended (status SUCCEEDED, or FAILED with `failure`).', schema: importResultSchema } },
    errors: [411, 413, 415],
    points: HEAVY_POINTS,
    renameField: (f) => f.replace(/^options\./, ''),
  }, async ({ query, principal, req, res }) => {
      const source = await multipartFile(req, 'file', options.uploadMaxBytes);
      const record = await services.imports.start(principal, source, {
        ...(query.mode ? { mode: query.mode } : {}),
        ...(query.dryRun !== undefined ? { dryRun: query.dryRun } : {}),
        wait: true,
      });
      const errors = await services.imports.errors(principal, record.id, IMPORT_ERRORS_SHOWN);
      res.set('cache-control', 'no-store').json(encodeImport(record, errors));
    });

  const bulkActions = [
    ['activate', 'bulkActivateUsers', 'Activate users', (p, ids) => services.lifecycle.bulkActivate(p, ids)],
    ['deactivate', 'bulkDeactivateUsers', 'Deactivate users', (p, ids) => services.lifecycle.bulkDeactivate(p, ids)],
    ['delete', 'bulkDeleteUsers', 'Soft-delete users', (p, ids) => services.lifecycle.bulkDelete(p, ids)],
  ] as const satisfies readonly (readonly [string, string, string, (p: Parameters<typeof services.lifecycle.bulkDelete>[0], ids: string[]) => ReturnType<typeof services.lifecycle.bulkDelete>])[];
  for (const [action, operationId, summary, apply] of bulkActions) {
    route(kit, {
      method: 'post',
      path: `/api/users/bulk/${action}`,
      operationId,
      summary,
      description: 'Up to 1,000 ids; missing, malformed or inapplicable ids are reported in `failed`, never thrown.',
      tag: TAG,
      permission: 'users.write',
      body: bulkBody,
      responses: { 200: { description: 'What was done, per id.', schema: bulkResultSchema } },
      errors: [],
      points: HEAVY_POINTS,
    }, async ({ body, principal, res }) => {
        res.set('cache-control', 'no-store').json(await apply(principal, body.ids));
      });
  }
}
