// Import progress: the import's record after every committed chunk (and its final state), for
// userImportProgress subscribers on every instance. It travels as a notice on the events
// transport (src/events/event.transport.ts): never stored, never in userEventLog, and at most once,
// which is enough because each message carries the whole record.
import { z } from 'zod';
import type { NoticeTopic } from '../../events/event.transport.js';
import { IMPORT_MODES, IMPORT_STATUSES, type ImportRecord } from './import.model.js';

/** Where the import service sends progress and where subscribers listen. */
export interface ImportProgressBus {
  publish(importId: string, record: ImportRecord): void;
  subscribe(importId: string): AsyncIterableIterator<ImportRecord>;
}

const count = z.number().int().nonnegative();

// What arrives from another instance is checked, not cast: a record that does not parse is
// skipped (and logged) by the events bus.
const RECORD_JSON = z.object({
  id: z.string(),
  status: z.enum(IMPORT_STATUSES),
  filename: z.string(),
  mode: z.enum(IMPORT_MODES),
  dryRun: z.boolean(),
  totalRows: count,
  processedRows: count,
  created: count,
  updated: count,
  skipped: count,
  failed: count,
  errorCount: count,
  lastCommittedRow: count,
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedById: z.string().nullable(),
  startedAt: z.iso.datetime().transform((iso) => new Date(iso)),
  finishedAt: z.iso
    .datetime()
    .transform((iso) => new Date(iso))
    .nullable(),
}) satisfies z.ZodType<ImportRecord, unknown>;

export const IMPORT_PROGRESS: NoticeTopic<ImportRecord> = {
  name: 'import-progress',
  toJson: (record) => ({
    ...record,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
  }),
  fromJson: (json) => RECORD_JSON.parse(json),
};

/** Progress over an events service's notices (createServices wires it). */
export function importProgressBus(events: {
  notify<T>(topic: NoticeTopic<T>, key: string, value: T): void;
  notices<T>(topic: NoticeTopic<T>, key: string): AsyncIterableIterator<T>;
}): ImportProgressBus {
  return {
    publish: (importId, record) => events.notify(IMPORT_PROGRESS, importId, record),
    subscribe: (importId) => events.notices(IMPORT_PROGRESS, importId),
  };
}
